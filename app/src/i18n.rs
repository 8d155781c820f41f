//! The console's two languages, English and Simplified Chinese. The page is rendered in the
//! language of the `rolo_lang` cookie (or the browser's Accept-Language); choosing another
//! stores it in the browser (local storage and the cookie) and in the account, then reloads.
//! Strings are written in English in the views and looked up here.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const LANG_COOKIE: &str = "rolo_lang";
/// Local-storage key of the choice.
pub const LANG_STORAGE: &str = "rolo.lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }
    /// The `lang` attribute of the page.
    pub fn html(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }
    pub fn parse(raw: &str) -> Option<Lang> {
        let raw = raw.trim().to_ascii_lowercase();
        if raw.starts_with("zh") {
            Some(Lang::Zh)
        } else if raw.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }
    /// The first of the browser's languages that the console speaks (by q-value).
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("").trim();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.parse::<f32>().ok()))
                .unwrap_or(1.0);
            if let Some(l) = Lang::parse(tag) {
                if best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, l));
                }
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::En)
    }
}

/// The page's language (provided by `App`).
pub fn lang() -> Lang {
    use_context::<Lang>().unwrap_or_default()
}

/// `s` (English) in the page's language.
pub fn t(s: &'static str) -> &'static str {
    tr(lang(), s)
}

/// `s` (English) in `lang`.
pub fn tr(lang: Lang, s: &'static str) -> &'static str {
    match lang {
        Lang::En => s,
        Lang::Zh => zh(s).unwrap_or(s),
    }
}

/// "{n} …" phrases.
pub fn count(lang: Lang, n: usize, one: &'static str, many: &'static str) -> String {
    match lang {
        Lang::En => format!("{n} {}", if n == 1 { one } else { many }),
        Lang::Zh => format!("{n} {}", zh(many).unwrap_or(many)),
    }
}

fn zh(s: &str) -> Option<&'static str> {
    ZH.iter().find(|(en, _)| *en == s).map(|(_, zh)| *zh)
}

/// The console's phrases in Simplified Chinese, by their English text: a table (searched in
/// order, a few hundred comparisons at most) rather than a `match`, which compiles to several
/// kilobytes of comparisons in the WASM every page loads.
static ZH: &[(&str, &str)] = &[
    // Offline use
    ("Web browser", "网页浏览器"),
    ("You are offline.", "您已离线。"),
    ("Contacts you opened stay readable; changes you save are kept on this browser and sent when the connection returns.", "已打开的联系人仍可查看；您保存的更改会保留在此浏览器中，恢复连接后发送。"),
    ("changes waiting to be sent", "项更改等待发送"),
    ("new", "新建"),
    ("changed", "已修改"),
    ("deleted", "已删除"),
    ("A contact deleted offline had been changed elsewhere meanwhile: it was kept, with that change.", "离线时删除的联系人在此期间已在别处被修改：它已保留，并带有该修改。"),
    ("This contact was deleted on this browser: the deletion is sent when the connection returns.", "此联系人已在此浏览器中删除：恢复连接后发送删除。"),
    ("Not sent yet: it was saved on this browser while offline.", "尚未发送：离线时保存在此浏览器中。"),
    ("Not accepted:", "未被接受："),
    ("Discard", "放弃"),
    ("Offline use", "离线使用"),
    ("This browser keeps the pages you open (the list and contacts) so that they stay readable without a connection, and keeps contacts you save while offline until they can be sent. They are deleted when you sign out.", "此浏览器会保留您打开过的页面（列表和联系人），以便在没有网络时查看，并保留离线时保存的联系人直到可以发送。退出登录时它们会被删除。"),
    ("Keep contacts on this browser for offline use", "在此浏览器中保留联系人以供离线使用"),
    ("This browser cannot keep pages for offline use here: it needs Rolo served over HTTPS.", "此浏览器无法在这里保留页面供离线使用：需要通过 HTTPS 访问 Rolo。"),
    ("Changes made offline are still waiting to be sent: connect first, or discard them.", "离线时所做的更改仍在等待发送：请先连接网络，或放弃这些更改。"),
    ("changes made offline were sent.", "项离线更改已发送。"),
    ("Some had also been changed elsewhere: both changes are kept, and the contact's history shows what was replaced.", "其中一些在别处也被修改过：两边的更改都已保留，联系人的历史记录显示了被替换的内容。"),
    ("The changes made offline could not be sent yet:", "离线更改暂时无法发送："),
    ("changes made offline have not been sent yet.", "项离线更改尚未发送。"),
    ("Sign out anyway and discard them?", "仍要退出并放弃这些更改吗？"),
    // Top bar and navigation
    ("Contacts", "联系人"),
    ("Import", "导入"),
    ("Devices", "设备"),
    ("Account", "账户"),
    ("Admin", "管理"),
    ("Trash", "回收站"),
    ("Address books", "通讯录"),
    ("Address book", "通讯录"),
    ("New address book", "新建通讯录"),
    ("Create address book", "创建通讯录"),
    ("Shared with", "共享给"),
    ("Share", "共享"),
    ("Stop sharing", "停止共享"),
    ("Open", "打开"),
    ("read-only", "只读"),
    ("read and write", "可读写"),
    ("New company directory", "新建公司通讯录"),
    ("Teams", "团队"),
    ("Duplicates", "重复联系人"),
    ("Sign out", "退出登录"),
    ("Sign in", "登录"),
    ("Signing in…", "正在登录…"),
    ("Signed in as", "当前用户"),
    ("Main", "主导航"),
    ("Menu", "菜单"),
    ("Language", "语言"),
    ("Username", "用户名"),
    ("Password", "密码"),
    ("Your address book, on every device.", "你的通讯录，在每台设备上。"),
    ("Loading…", "加载中…"),
    ("Page not found", "页面不存在"),
    ("Back to your contacts", "返回联系人"),
    // List
    ("Groups", "分组"),
    ("All contacts", "全部联系人"),
    ("New group", "新建分组"),
    ("Create", "创建"),
    ("Create a group", "创建分组"),
    ("Family", "家人"),
    ("Search contacts", "搜索联系人"),
    ("Search by name, pinyin, phone, email…", "按姓名、拼音、电话、邮箱搜索…"),
    ("Export", "导出"),
    ("Export formats", "导出格式"),
    ("New contact", "新建联系人"),
    ("No contacts yet.", "还没有联系人。"),
    ("Add the first one", "添加第一个"),
    ("No contact matches.", "没有匹配的联系人。"),
    ("contact", "位联系人"),
    ("contacts", "位联系人"),
    ("Name", "姓名"),
    ("Phone", "电话"),
    ("Email", "邮箱"),
    ("Organization", "单位"),
    ("Sort", "排序"),
    ("By name", "按姓名"),
    ("Recently changed", "最近修改"),
    ("Letter index", "字母索引"),
    ("Previous page", "上一页"),
    ("Next page", "下一页"),
    ("Pages", "分页"),
    ("Select all shown", "选择本页全部"),
    ("Select all matching", "选择全部匹配项"),
    ("Selection", "已选"),
    ("Format", "格式"),
    ("Export selected", "导出所选"),
    ("Group for the selection", "所选联系人的分组"),
    ("Add to group", "加入分组"),
    ("Remove from group", "移出分组"),
    ("Delete selected…", "删除所选…"),
    ("Keep them", "保留"),
    ("Clear selection", "清除选择"),
    ("Working…", "处理中…"),
    ("Group: ", "分组："),
    ("Group name", "分组名称"),
    ("Rename", "重命名"),
    ("Rename group", "重命名分组"),
    ("Delete group…", "删除分组…"),
    ("Delete group", "删除分组"),
    ("Its contacts are kept; they just leave the group.", "分组中的联系人会保留，只是离开该分组。"),
    ("Cancel", "取消"),
    // Contact
    ("Edit", "编辑"),
    ("Delete…", "删除…"),
    ("About", "基本信息"),
    ("Phones", "电话"),
    ("Emails", "邮箱"),
    ("Addresses", "地址"),
    ("Notes", "备注"),
    ("Photo", "照片"),
    ("Mobile", "手机"),
    ("Work", "工作"),
    ("Home", "住宅"),
    ("Main number", "总机"),
    ("Fax", "传真"),
    ("Pager", "寻呼机"),
    ("Other", "其他"),
    ("Custom…", "自定义…"),
    ("Label of your own", "自定义类型"),
    ("Preferred", "首选"),
    ("Close", "关闭"),
    ("preferred", "首选"),
    ("Day", "日"),
    ("Month", "月"),
    ("Year (if known)", "年（可不填）"),
    ("January", "一月"),
    ("February", "二月"),
    ("March", "三月"),
    ("April", "四月"),
    ("May", "五月"),
    ("June", "六月"),
    ("July", "七月"),
    ("August", "八月"),
    ("September", "九月"),
    ("October", "十月"),
    ("November", "十一月"),
    ("December", "十二月"),
    ("Add a photo", "添加照片"),
    ("Replace the photo", "更换照片"),
    ("Remove the photo", "删除照片"),
    ("The new photo", "新照片"),
    ("The current photo", "当前照片"),
    ("Zoom", "缩放"),
    ("Left to right", "左右位置"),
    ("Top to bottom", "上下位置"),
    ("That image is too large (25 MB at most).", "图片太大（最多 25 MB）。"),
    ("That file is not an image this browser can open.", "此浏览器无法打开该文件中的图片。"),
    ("Other fields", "其他字段"),
    ("Family name", "姓"),
    ("Given name", "名"),
    ("Middle name", "中间名"),
    ("Name prefix", "称谓前缀"),
    ("Name suffix", "称谓后缀"),
    ("Department", "部门"),
    ("Apartment, suite", "门牌/单元"),
    ("PO box", "邮政信箱"),
    ("Nickname", "昵称"),
    ("Title", "职位"),
    ("Birthday", "生日"),
    ("History", "历史记录"),
    ("Restore", "恢复"),
    ("Revision", "版本"),
    ("Delete this contact?", "删除这个联系人？"),
    ("It goes to the trash, and disappears from your devices at their next sync.", "联系人将移入回收站，并在各设备下次同步时消失。"),
    ("Delete contact", "删除联系人"),
    // Trash
    ("Deleted contacts stay here for", "已删除的联系人在此保留"),
    ("days, then are erased for good.", "天，之后永久清除。"),
    ("The trash is empty.", "回收站是空的。"),
    ("Deleted", "删除时间"),
    ("By", "操作者"),
    ("Erased on", "清除日期"),
    ("Restore selected", "恢复所选"),
    ("Empty trash…", "清空回收站…"),
    ("Empty the trash?", "清空回收站？"),
    ("Everything in the trash is erased for good. This cannot be undone.", "回收站中的所有联系人将被永久清除，无法撤销。"),
    ("Empty trash", "清空回收站"),
    ("Restored", "已恢复"),
    ("Undo", "撤销"),
    ("Moved to the trash", "已移入回收站"),
    // Undo changes
    ("Undo changes", "撤销更改"),
    ("Undo changes…", "撤销更改…"),
    ("Back to (your local time)", "恢复到（本地时间）"),
    ("The whole address book", "整个通讯录"),
    ("Choose a date and time.", "请选择日期和时间。"),
    ("Changed back", "改回"),
    ("Removed", "移除"),
    ("None.", "无。"),
    ("Nothing changed since then.", "此后没有更改。"),
    // Duplicates
    ("Possible duplicates", "可能重复的联系人"),
    ("No possible duplicates.", "没有发现重复的联系人。"),
    ("Same phone", "电话相同"),
    ("Same email", "邮箱相同"),
    ("Same name", "姓名相同"),
    ("Merge…", "合并…"),
    ("Merge", "合并"),
    ("Merge contacts", "合并联系人"),
    ("Pick the value to keep for each field. Every phone number and email address of all of them is kept.", "为每个字段选择要保留的值。所有电话号码和邮箱地址都会保留。"),
    ("Display name", "显示名称"),
    ("(empty)", "（空）"),
    // Contact form
    ("Contact", "联系人"),
    ("Street", "街道"),
    ("Postal code", "邮编"),
    ("City", "城市"),
    ("Region", "省/州"),
    ("Country", "国家/地区"),
    ("Add address", "添加地址"),
    ("Field name", "字段名"),
    ("Value", "值"),
    ("Add field", "添加字段"),
    ("Add other field", "添加其他字段"),
    ("Field to add", "要添加的字段"),
    ("Websites", "网站"),
    ("Website", "网站"),
    ("Add website", "添加网站"),
    ("Instant messaging", "即时通讯"),
    ("Instant messaging address", "即时通讯地址"),
    ("Related people", "相关人员"),
    ("Related person", "相关人员"),
    ("Relation", "关系"),
    ("Anniversary", "纪念日"),
    ("Other field", "其他字段"),
    ("Move up", "上移"),
    ("Move down", "下移"),
    ("Remove the anniversary", "删除纪念日"),
    ("Spouse", "配偶"),
    ("Partner", "伴侣"),
    ("Parent", "父母"),
    ("Child", "子女"),
    ("Sibling", "兄弟姐妹"),
    ("Friend", "朋友"),
    ("Assistant", "助理"),
    ("Manager", "经理"),
    ("Work and more", "工作及其他"),
    ("Save", "保存"),
    ("Saving…", "保存中…"),
    ("Some fields need attention: see the messages below them.", "部分字段需要修改：请查看字段下方的提示。"),
    ("Address", "地址"),
    // Account, administration, devices, import
    (" Administrator", " 管理员"),
    ("Accounts", "账户"),
    ("Actions", "操作"),
    ("Add a device", "添加设备"),
    ("Add device", "添加设备"),
    ("Administrators manage accounts; nobody can read another account's contacts.", "管理员管理账户；任何人都无法读取其他账户的联系人。"),
    ("Change how a column is read above, then Preview again to check.", "在上方修改列的读取方式，然后再次预览检查。"),
    ("Change password", "修改密码"),
    ("Change your password", "修改你的密码"),
    ("Changes sent / received", "发送 / 接收的更改"),
    ("Column", "列"),
    ("Contacts already in the address book (same UID, phone or email)", "通讯录中已有的联系人（UID、电话或邮箱相同）"),
    ("Copy it now: it is shown only once. The device sends it as its password.", "请立即复制：它只显示一次。设备将其作为密码发送。"),
    ("Create account", "创建账户"),
    ("Create an account", "创建账户"),
    ("Create anyway", "仍然创建"),
    ("Detect automatically", "自动检测"),
    ("Device name", "设备名称"),
    ("Download the report (CSV)", "下载报告（CSV）"),
    ("Encoding", "编码"),
    ("Expires", "过期时间"),
    ("File (CSV, Excel or vCard)", "文件（CSV、Excel 或 vCard）"),
    ("Go to the contacts", "查看联系人"),
    ("Import a file", "导入文件"),
    ("Import another file", "导入另一个文件"),
    ("Import contacts", "导入联系人"),
    ("Import progress", "导入进度"),
    ("Its token stops working at once. The contacts already on it stay there.", "它的令牌立即失效。设备上已有的联系人会保留。"),
    ("Kind", "类型"),
    ("Last change", "最近更改"),
    ("Last sync", "最近同步"),
    ("Line", "行"),
    ("My phone", "我的手机"),
    ("New device token", "新设备令牌"),
    ("New group name", "新分组名称"),
    ("No devices yet.", "还没有设备。"),
    ("On a PC with rolo-sync:", "在电脑上使用 rolo-sync："),
    ("Preview", "预览"),
    ("Put the contacts in", "将联系人放入"),
    ("Read as", "读取为"),
    ("Reset password", "重置密码"),
    ("Revoke device", "吊销设备"),
    ("Revoke…", "吊销…"),
    ("Role", "角色"),
    ("Rows not imported", "未导入的行"),
    ("Rows read", "读取的行"),
    ("Signed in", "登录时间"),
    ("Skip them", "跳过"),
    ("Starting…", "正在开始…"),
    ("Status", "状态"),
    ("Update them (nothing is lost)", "更新它们（不丢失任何内容）"),
    ("Where you are signed in", "你登录的地方"),
    ("Windows-1252 (Western)", "Windows-1252（西文）"),
    ("Your account", "你的账户"),
    ("a new group…", "新分组…"),
    ("no group", "不分组"),
    ("this session", "当前会话"),
];

/// The months, in English (looked up like every string).
pub const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// How a standard label word (`mobile`, `fax`…, any case) is shown, in English.
pub fn label_caption(word: &str) -> Option<&'static str> {
    Some(match word.to_lowercase().as_str() {
        "mobile" => "Mobile",
        "work" => "Work",
        "home" => "Home",
        "other" => "Other",
        "main" => "Main number",
        "fax" => "Fax",
        "pager" => "Pager",
        "spouse" => "Spouse",
        "partner" => "Partner",
        "parent" => "Parent",
        "child" => "Child",
        "sibling" => "Sibling",
        "friend" => "Friend",
        "assistant" => "Assistant",
        "manager" => "Manager",
        _ => return None,
    })
}

/// A birthday as people write it: "2 March 1984" or "2 March" in English, "1984年3月2日" or
/// "3月2日" in Chinese.
pub fn birthday_text(lang: Lang, b: domain::Birthday) -> String {
    use chrono::Datelike;
    let (year, month, day) = match b {
        domain::Birthday::Date(d) => (Some(d.year()), d.month(), d.day()),
        domain::Birthday::MonthDay { month, day } => (None, month, day),
    };
    match (lang, year) {
        (Lang::Zh, Some(y)) => format!("{y}年{month}月{day}日"),
        (Lang::Zh, None) => format!("{month}月{day}日"),
        (Lang::En, y) => {
            let name = MONTHS.get(month.saturating_sub(1) as usize).copied().unwrap_or("?");
            match y {
                Some(y) => format!("{day} {name} {y}"),
                None => format!("{day} {name}"),
            }
        }
    }
}

/// A phone's, email's or address's label as shown: the standard ones in the page's language,
/// one's own as written; " · preferred" after the preferred one.
pub fn label_text(lang: Lang, label: &domain::Label, pref: bool) -> String {
    let text = match label_caption(label.as_str()) {
        Some(caption) => tr(lang, caption).to_string(),
        None => label.as_str().to_string(),
    };
    if pref {
        format!("{text} · {}", tr(lang, "preferred"))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_supported_language() {
        assert_eq!(Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh);
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9,zh-CN;q=0.8"), Lang::En);
        assert_eq!(Lang::from_accept_language("fr-FR,fr;q=0.9,zh-TW;q=0.5"), Lang::Zh);
        assert_eq!(Lang::from_accept_language("de"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
    }

    #[test]
    fn every_phrase_has_one_translation() {
        let mut seen = std::collections::HashSet::new();
        for (en, zh) in ZH {
            assert!(seen.insert(*en), "{en:?} is in the table twice");
            assert!(!zh.is_empty(), "{en:?} has an empty translation");
        }
        assert!(seen.len() > 200, "{} phrases", seen.len());
    }

    #[test]
    fn strings_are_translated_or_kept() {
        assert_eq!(tr(Lang::Zh, "Contacts"), "联系人");
        assert_eq!(tr(Lang::En, "Contacts"), "Contacts");
        assert_eq!(tr(Lang::Zh, "Something new"), "Something new");
        assert_eq!(count(Lang::Zh, 3, "contact", "contacts"), "3 位联系人");
        assert_eq!(count(Lang::En, 1, "contact", "contacts"), "1 contact");
    }
}
