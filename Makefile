# Rolo: two commands.
#   make run   installs what is missing, builds, and starts Rolo on ROLO_LISTEN (127.0.0.1:3000)
#   make test  installs what is missing and runs every test
SHELL := /bin/bash
.DEFAULT_GOAL := run
.PHONY: run test build tools tools-test test-rust test-e2e

tools:
	@scripts/bootstrap.sh

tools-test:
	@scripts/bootstrap.sh --test

build: tools
	@scripts/build.sh

run: build
	@bin/rolo serve

test: tools-test
	@scripts/test.sh
