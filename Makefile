# Rolo: two commands.
#   make run   installs what is missing, builds (optimised), and starts Rolo on ROLO_LISTEN (127.0.0.1:3000)
#   make test  installs what is missing and runs every test
#   make dist  packs the optimised build into dist/ (runs without Rust; see docs/deploy.md)
#   make rolo-sync  builds the PC folder client as bin/rolo-sync (optimised)
SHELL := /bin/bash
.DEFAULT_GOAL := run
.PHONY: run test build dist tools tools-test rolo-sync

tools:
	@scripts/bootstrap.sh

tools-test:
	@scripts/bootstrap.sh --test

build:
	@scripts/build.sh

dist:
	@scripts/dist.sh

rolo-sync:
	@scripts/rolo-sync.sh

run: build
	@bin/rolo serve

test: tools-test
	@scripts/test.sh
