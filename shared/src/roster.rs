//! A staff roster (人员名单) pasted from a spreadsheet or read from a CSV
//! file, for creating a company's users at once instead of one by one.
//!
//! One user per line, in this order: login (登录名), name (姓名), role
//! (角色: its code or its Chinese or English name), properties (项目:
//! codes or names, separated as unit lists are), department (部门) and an
//! initial password (初始密码); the last three may be empty. A first line
//! naming the columns is skipped. Cells are separated by tabs (a
//! spreadsheet's copy) or, when no line has a tab, by commas (CSV), with
//! CSV quoting either way.
//!
//! What is checked here is what the list itself shows: the columns, the
//! role, the properties, a login given twice or already in use. The
//! server checks each user again as it creates them.

use crate::admin::NewUserRequest;
use crate::lang::{Coded, Lang};
use crate::property::{Property, split_unit_names};
use crate::role::Role;
use crate::validation::{
    MAX_DIRECTORY_NAME, MAX_LOGIN, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, is_plain_name,
};
use serde::{Deserialize, Serialize};

/// The most users one import creates.
pub const MAX_ROSTER_USERS: usize = 500;

/// One line of the roster: the user it asks for, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterLine {
    /// The line number in the text, from 1.
    pub line: u64,
    /// The user as read; the role is its code when it was recognised, the
    /// text as given otherwise, and the password empty when none was given.
    pub user: NewUserRequest,
    /// Empty when the line can be imported.
    pub problems: Vec<RosterProblem>,
}

/// What is wrong with a line of the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RosterProblem {
    /// The login or the name is missing.
    Incomplete,
    /// The role is none of ours.
    UnknownRole(String),
    /// No property has this code or name.
    UnknownProperty(String),
    /// The property is retired.
    RetiredProperty(String),
    /// The role works in given properties, and none is listed.
    NoProperties,
    /// An earlier line has the same login.
    RepeatedLogin {
        /// That line.
        line: u64,
    },
    /// A user with this login exists.
    LoginTaken,
    /// The login has spaces or is too long.
    BadLogin,
    /// The password given is too short.
    WeakPassword,
    /// The name, the department or the password is too long.
    TooLong,
    /// More lines than one import takes.
    TooMany,
    /// Several properties have this name: the code says which.
    AmbiguousProperty(String),
    /// A department head with no department: they would see none of the
    /// cases passed to it (a merged cell copies its value to its first
    /// row only).
    NoDepartment,
    /// The name or the department holds a line break or another control
    /// character (Alt+Enter in a cell): a name is one line.
    NotOneLine,
}

impl Coded for RosterProblem {
    fn code(&self) -> &'static str {
        match self {
            RosterProblem::Incomplete => "roster.incomplete",
            RosterProblem::UnknownRole(_) => "roster.unknown_role",
            RosterProblem::UnknownProperty(_) => "roster.unknown_property",
            RosterProblem::RetiredProperty(_) => "roster.retired_property",
            RosterProblem::NoProperties => "roster.no_properties",
            RosterProblem::RepeatedLogin { .. } => "roster.repeated_login",
            RosterProblem::LoginTaken => "roster.login_taken",
            RosterProblem::BadLogin => "roster.bad_login",
            RosterProblem::WeakPassword => "roster.weak_password",
            RosterProblem::TooLong => "roster.too_long",
            RosterProblem::TooMany => "roster.too_many",
            RosterProblem::AmbiguousProperty(_) => "roster.ambiguous_property",
            RosterProblem::NoDepartment => "roster.no_department",
            RosterProblem::NotOneLine => "roster.not_one_line",
        }
    }

    fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (RosterProblem::Incomplete, _) => lang
                .pick("缺少登录名或姓名", "The login or the name is missing")
                .into(),
            (RosterProblem::UnknownRole(r), _) if r.is_empty() => match lang {
                Lang::ZhCn => format!("缺少角色（可填：{}）", role_names(lang)),
                Lang::En => format!("The role is missing (one of: {})", role_names(lang)),
            },
            (RosterProblem::UnknownRole(r), Lang::ZhCn) => {
                format!("没有这个角色：{r}（可填：{}）", role_names(lang))
            }
            (RosterProblem::UnknownRole(r), Lang::En) => {
                format!("No such role: {r} (one of: {})", role_names(lang))
            }
            (RosterProblem::UnknownProperty(p), Lang::ZhCn) => format!("没有这个项目：{p}"),
            (RosterProblem::UnknownProperty(p), Lang::En) => format!("No such property: {p}"),
            (RosterProblem::RetiredProperty(p), Lang::ZhCn) => format!("项目已停用：{p}"),
            (RosterProblem::RetiredProperty(p), Lang::En) => {
                format!("The property is retired: {p}")
            }
            (RosterProblem::NoProperties, _) => lang
                .pick("该角色须填写所属项目", "This role needs its properties")
                .into(),
            (RosterProblem::RepeatedLogin { line }, Lang::ZhCn) => {
                format!("登录名与第 {line} 行重复")
            }
            (RosterProblem::RepeatedLogin { line }, Lang::En) => {
                format!("The same login as line {line}")
            }
            (RosterProblem::LoginTaken, _) => lang
                .pick("登录名已被现有用户使用", "A user with this login exists")
                .into(),
            (RosterProblem::BadLogin, Lang::ZhCn) => {
                format!("登录名为 1–{MAX_LOGIN} 个字符，不含空格或不可见字符")
            }
            (RosterProblem::BadLogin, Lang::En) => {
                format!("A login is 1–{MAX_LOGIN} characters without spaces or invisible characters")
            }
            (RosterProblem::WeakPassword, Lang::ZhCn) => {
                format!("初始密码至少 {MIN_PASSWORD_CHARS} 位；不填则自动生成")
            }
            (RosterProblem::WeakPassword, Lang::En) => format!(
                "An initial password has at least {MIN_PASSWORD_CHARS} characters; leave it empty to have one made"
            ),
            (RosterProblem::TooLong, Lang::ZhCn) => {
                format!("姓名或部门超过 {MAX_DIRECTORY_NAME} 个字，或密码过长")
            }
            (RosterProblem::TooLong, Lang::En) => format!(
                "The name or the department is over {MAX_DIRECTORY_NAME} characters, or the password is too long"
            ),
            (RosterProblem::AmbiguousProperty(p), Lang::ZhCn) => {
                format!("多个项目名为“{p}”，请填写项目编号")
            }
            (RosterProblem::AmbiguousProperty(p), Lang::En) => {
                format!("Several properties are named {p}: give its code")
            }
            (RosterProblem::NoDepartment, _) => lang
                .pick(
                    "责任部门主管须填写部门（合并的单元格只在第一行有值）",
                    "A department head needs a department (a merged cell has its value on its first row only)",
                )
                .into(),
            (RosterProblem::NotOneLine, _) => lang
                .pick(
                    "姓名或部门中有换行，请改为一行",
                    "The name or the department has a line break: make it one line",
                )
                .into(),
            (RosterProblem::TooMany, _) => match lang {
                Lang::ZhCn => format!("一次最多导入 {MAX_ROSTER_USERS} 人"),
                Lang::En => format!("One import takes at most {MAX_ROSTER_USERS} users"),
            },
        }
    }
}

/// The other names rosters give the roles (DOMAIN's second names and
/// the short forms HR writes).
const ROLE_ALIASES: [(&str, Role); 7] = [
    ("客服专员", Role::Staff),
    ("客服员", Role::Staff),
    ("部门主管", Role::DepartmentHead),
    ("客服中心主任", Role::Manager),
    ("项目经理", Role::Manager),
    ("副总经理", Role::DeputyGm),
    ("品质部", Role::Quality),
];

/// A role by its code or its name in either language, or a name rosters
/// give it ([`ROLE_ALIASES`]); codes and English names in any case.
fn role_named(text: &str) -> Option<Role> {
    Role::ALL
        .into_iter()
        .find(|r| {
            r.code().eq_ignore_ascii_case(text)
                || r.label(Lang::ZhCn) == text
                || r.label(Lang::En).eq_ignore_ascii_case(text)
        })
        .or_else(|| {
            ROLE_ALIASES
                .iter()
                .find(|(name, _)| *name == text)
                .map(|(_, r)| *r)
        })
}

/// The roles' names in `lang`, for a message saying what a cell may hold.
fn role_names(lang: Lang) -> String {
    let names: Vec<&str> = Role::ALL.iter().map(|r| r.label(lang)).collect();
    names.join(lang.pick("、", ", "))
}

/// A login as it is kept and looked up: trimmed, full-width letters and
/// digits read as ASCII, lowercase (`search::fold`). Staff type logins on
/// tablets whose keyboards capitalize the first letter, or type full
/// width in Chinese mode: `Zhang3` and `ｚｈａｎｇ３` are `zhang3`.
pub fn login(typed: &str) -> String {
    crate::search::fold(typed.trim())
}

/// Whether a login (as [`login`] keeps it) can be typed and told apart:
/// 1–[`MAX_LOGIN`] characters, none a space, a control character or an
/// invisible format character (a zero-width space or a direction mark,
/// pasted from a spreadsheet or a chat, looks the same in every list and
/// can never be typed at the login screen).
pub fn is_usable_login(login: &str) -> bool {
    !login.is_empty()
        && login.chars().count() <= MAX_LOGIN
        && !login
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || crate::search::is_invisible(c))
}

/// Whether a line names the columns rather than a user: its first cell
/// names the login column, or its second the name or its third the role,
/// as HR spreadsheets head them.
fn is_header(cells: &[String]) -> bool {
    let cell = |i: usize| cells.get(i).map_or("", |c| c.as_str());
    let named = |text: &str, names: &[&str]| names.iter().any(|n| n.eq_ignore_ascii_case(text));
    named(
        cell(0),
        &[
            "登录名",
            "账号",
            "帐号",
            "登录账号",
            "登录帐号",
            "用户名",
            "工号",
            "login",
            "username",
            "account",
        ],
    ) || named(cell(1), &["姓名", "name"])
        || named(cell(2), &["角色", "职务", "岗位", "role"])
}

/// Whether a line before any user is a title over the table (a merged
/// first row, 某某物业员工花名册): a row of cells, its first alone filled,
/// in words no login is written in. A line of one cell is a user's (its
/// cells maybe separated by what is no separator, full-width commas),
/// said to be incomplete, never skipped unsaid.
fn is_title(cells: &[String]) -> bool {
    cells.len() > 1 && cells.iter().skip(1).all(String::is_empty) && !cells[0].is_ascii()
}

/// The property a roster's cell names: a code first (unique), else the
/// one property of that name not retired, compared as typed on any
/// keyboard (`search::fold`: 全角 brackets are half-width ones).
fn property_named<'a>(
    properties: &'a [Property],
    name: &str,
) -> Result<&'a Property, RosterProblem> {
    if let Some(p) = properties
        .iter()
        .find(|p| p.code.eq_ignore_ascii_case(name))
    {
        return Ok(p);
    }
    let folded = crate::search::fold(name);
    let named: Vec<&Property> = properties
        .iter()
        .filter(|p| crate::search::fold(&p.name) == folded)
        .collect();
    let live: Vec<&Property> = named.iter().copied().filter(|p| !p.retired).collect();
    match (named.as_slice(), live.as_slice()) {
        ([], _) => Err(RosterProblem::UnknownProperty(name.into())),
        (_, [one]) => Ok(one),
        (_, []) => Err(RosterProblem::RetiredProperty(name.into())),
        _ => Err(RosterProblem::AmbiguousProperty(name.into())),
    }
}

/// Reads a roster. `logins` are those of the users that exist; nothing is
/// refused for being empty: blank lines are skipped.
pub fn read_roster(text: &str, properties: &[Property], logins: &[&str]) -> Vec<RosterLine> {
    let tabs = text.lines().any(|l| l.contains('\t'));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(if tabs { b'\t' } else { b',' })
        .from_reader(text.as_bytes());
    let mut out: Vec<RosterLine> = Vec::new();
    let mut record = csv::StringRecord::new();
    let (mut line, mut counted) = (1, 0);
    // Reading cannot fail: the text is UTF-8 and lines may have any number
    // of cells (a quote left open runs to the end of the text).
    while let Ok(true) = reader.read_record(&mut record) {
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
        // Counted here: the reader's own count skips blank lines, and a
        // record's position is where the blank lines before it begin.
        let mut start = record.position().map_or(0, |p| p.byte() as usize);
        while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        line += text.as_bytes()[counted..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        counted = start;
        if cells.iter().all(String::is_empty)
            || (out.is_empty() && (is_header(&cells) || is_title(&cells)))
        {
            continue;
        }
        let cell = |i: usize| cells.get(i).cloned().unwrap_or_default();
        let mut problems = Vec::new();
        let (login, display_name) = (login(&cell(0)), cell(1));
        if login.is_empty() || display_name.is_empty() {
            problems.push(RosterProblem::Incomplete);
        } else if !is_usable_login(&login) {
            problems.push(RosterProblem::BadLogin);
        }
        let password = cell(5);
        if !password.is_empty() && password.chars().count() < MIN_PASSWORD_CHARS {
            problems.push(RosterProblem::WeakPassword);
        }
        if [&display_name, &cell(4)]
            .iter()
            .any(|t| t.chars().count() > MAX_DIRECTORY_NAME)
            || password.len() > MAX_PASSWORD_BYTES
        {
            problems.push(RosterProblem::TooLong);
        }
        if ![&display_name, &cell(4)].iter().all(|t| is_plain_name(t)) {
            problems.push(RosterProblem::NotOneLine);
        }
        let role = role_named(&cell(2));
        if role.is_none() {
            problems.push(RosterProblem::UnknownRole(cell(2)));
        }
        let mut ids = Vec::new();
        for name in split_unit_names(&cell(3)) {
            match property_named(properties, &name) {
                Ok(p) if p.retired => problems.push(RosterProblem::RetiredProperty(name)),
                Ok(p) => ids.push(p.id),
                Err(problem) => problems.push(problem),
            }
        }
        if role.is_some_and(|r| !r.sees_all_properties()) && cell(3).is_empty() {
            problems.push(RosterProblem::NoProperties);
        }
        if role.is_some_and(Role::needs_department) && cell(4).is_empty() {
            problems.push(RosterProblem::NoDepartment);
        }
        if let Some(first) = out
            .iter()
            .find(|l| !login.is_empty() && l.user.login == login)
        {
            problems.push(RosterProblem::RepeatedLogin { line: first.line });
        } else if logins.iter().any(|l| self::login(l) == login) {
            problems.push(RosterProblem::LoginTaken);
        }
        if out.len() == MAX_ROSTER_USERS {
            problems.push(RosterProblem::TooMany);
        }
        let department = Some(cell(4)).filter(|d| !d.is_empty());
        out.push(RosterLine {
            line,
            user: NewUserRequest {
                login,
                display_name,
                role: role.map_or_else(|| cell(2), |r| r.code().to_string()),
                password,
                properties: ids,
                department,
            },
            problems,
        });
        if out.len() > MAX_ROSTER_USERS {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::PropertyId;

    fn property(n: u128, code: &str, name: &str) -> Property {
        Property {
            id: PropertyId(uuid::Uuid::from_u128(n)),
            code: code.into(),
            name: name.into(),
            households: 100,
            buildings: Vec::new(),
            retired: false,
            contact: String::new(),
            removed: Vec::new(),
        }
    }

    fn codes(lines: &[RosterLine]) -> Vec<Vec<&'static str>> {
        lines
            .iter()
            .map(|l| l.problems.iter().map(Coded::code).collect())
            .collect()
    }

    #[test]
    fn logins_are_kept_as_typed_on_any_keyboard() {
        assert_eq!(login(" Zhang3 "), "zhang3");
        assert_eq!(login("ｚｈａｎｇ３"), "zhang3");
        let props = [property(1, "HY", "和园")];
        let text = "Zhang3\t张三\t物管员\tHY\t\t\nｚｈａｎｇ３\t张三\t物管员\tHY\t\t\nLi4\t李四\t物管员\tHY\t\t\n";
        let lines = read_roster(text, &props, &["LI4"]);
        assert_eq!(lines[0].user.login, "zhang3");
        assert_eq!(
            codes(&lines),
            [
                vec![],
                vec!["roster.repeated_login"],
                vec!["roster.login_taken"]
            ]
        );
    }

    #[test]
    fn a_spreadsheet_copy_is_read_with_its_header_names_and_codes() {
        let props = [property(1, "HY", "和园"), property(2, "JY", "景苑")];
        let text = "登录名\t姓名\t角色\t项目\t部门\t初始密码\n\
                    zhang3\t张三\t物管员\tHY、景苑\t客服部\t\n\
                    \n\
                    li4\t李四\tdepartment_head\thy\t工程部\tqwerty12345\n\
                    wang5\t王五\tgeneral manager\t\t\t\n";
        let lines = read_roster(text, &props, &[]);
        assert_eq!(codes(&lines), [vec![], vec![], vec![]] as [Vec<&str>; 3]);
        assert_eq!(lines[0].line, 2);
        assert_eq!(lines[1].line, 4);
        let zhang = &lines[0].user;
        assert_eq!(
            (zhang.login.as_str(), zhang.role.as_str()),
            ("zhang3", "staff")
        );
        assert_eq!(zhang.properties, [props[0].id, props[1].id]);
        assert_eq!(zhang.department.as_deref(), Some("客服部"));
        assert_eq!(zhang.password, "");
        assert_eq!(lines[1].user.password, "qwerty12345");
        assert_eq!(lines[2].user.role, "gm");
        assert!(lines[2].user.properties.is_empty());
    }

    #[test]
    fn a_csv_file_is_read_with_its_quotes() {
        let props = [property(1, "HY", "和园"), property(2, "JY", "景苑")];
        let text = "zhang3,张三,staff,\"HY,JY\",\"客服部, 前台\"\r\n";
        let lines = read_roster(text, &props, &[]);
        assert_eq!(codes(&lines), [Vec::<&str>::new()]);
        assert_eq!(lines[0].user.properties.len(), 2);
        assert_eq!(lines[0].user.department.as_deref(), Some("客服部, 前台"));
    }

    #[test]
    fn a_login_with_an_invisible_character_is_refused() {
        assert!(is_usable_login("zhang3"));
        assert!(is_usable_login("张三"));
        for bad in ["zhang\u{200B}san", "\u{202E}nahz", "li\u{1b}", "a b", ""] {
            assert!(!is_usable_login(bad), "{bad:?}");
        }
        assert!(!is_usable_login(&"a".repeat(MAX_LOGIN + 1)));
        let lines = read_roster(
            "zhang\u{200B}san\t张三\tstaff\tHY\n",
            &[property(1, "HY", "和园")],
            &[],
        );
        assert_eq!(codes(&lines), [vec!["roster.bad_login"]]);
    }

    #[test]
    fn each_line_says_what_is_wrong_with_it() {
        let mut props = [property(1, "HY", "和园"), property(2, "OLD", "旧园")];
        props[1].retired = true;
        let text = "a\t\tstaff\tHY\n\
                    b\tB\t保洁员\tHY\n\
                    c\tC\tstaff\t花园\n\
                    d\tD\tmanager\t\n\
                    e\tE\tstaff\tHY\n\
                    e\tE2\tstaff\tHY\n\
                    admin1\tX\tadmin\t\n\
                    f g\tF\tgm\t\t\tlong-enough\n\
                    h\tH\tgm\t\t\tshort\n\
                    j\tJ\tgm\t\t客服部客服部客服部客服部客服部客服部客服部客服部客服部客服部客服部客服部客服部客服部客服部客服部客服部客服部客服部客服部客服部客服部\n\
                    i\tI\tstaff\t旧园\n";
        let lines = read_roster(text, &props, &["admin1"]);
        assert_eq!(
            codes(&lines),
            [
                vec!["roster.incomplete"],
                vec!["roster.unknown_role"],
                vec!["roster.unknown_property"],
                vec!["roster.no_properties"],
                vec![],
                vec!["roster.repeated_login"],
                vec!["roster.login_taken"],
                vec!["roster.bad_login"],
                vec!["roster.weak_password"],
                vec!["roster.too_long"],
                vec!["roster.retired_property"],
            ]
        );
        assert_eq!(
            lines[5].problems[0].message(Lang::ZhCn),
            "登录名与第 5 行重复"
        );
        assert_eq!(lines[1].user.role, "保洁员");
    }

    #[test]
    fn a_roster_as_hr_keeps_it_is_read() {
        let mut props = [
            property(1, "HZYG", "阳光花园"),
            property(2, "NBYG", "阳光花园"),
            property(3, "JY", "景苑（二期）"),
            property(4, "OLD", "和园"),
            property(5, "HY2", "和园"),
        ];
        props[3].retired = true;
        let text = "某某物业员工花名册\t\t\t\t\t\n\
                    工号\t姓名\t职务\t项目\t部门\t初始密码\n\
                    a\tA\t客服专员\tNBYG\t\t\n\
                    b\tB\tSTAFF\t阳光花园\t\t\n\
                    c\tC\t部门主管\t景苑(二期)\t\t\n\
                    d\tD\t\t和园\t\t\n\
                    e\t\"E\n(实习)\"\t副总经理\tJY\t\t\n";
        let lines = read_roster(text, &props, &[]);
        assert_eq!(
            codes(&lines),
            [
                vec![],
                vec!["roster.ambiguous_property"],
                vec!["roster.no_department"],
                vec!["roster.unknown_role"],
                vec!["roster.not_one_line"],
            ]
        );
        assert_eq!(lines[0].line, 3);
        assert_eq!(lines[0].user.properties, [props[1].id]);
        assert_eq!(lines[2].user.properties, [props[2].id]);
        // The live one of two named alike, and the roles in a message.
        assert_eq!(lines[3].user.properties, [props[4].id]);
        assert_eq!(lines[4].user.role, "deputy_gm");
        let missing = lines[3].problems[0].message(Lang::ZhCn);
        assert!(missing.starts_with("缺少角色（可填：物管员、"), "{missing}");
    }

    #[test]
    fn one_import_takes_a_bounded_number_of_users() {
        let many: String = (0..=MAX_ROSTER_USERS)
            .map(|i| format!("u{i}\tU{i}\tgm\n"))
            .collect();
        let lines = read_roster(&many, &[], &[]);
        assert_eq!(lines.len(), MAX_ROSTER_USERS + 1);
        assert_eq!(lines[MAX_ROSTER_USERS].problems, [RosterProblem::TooMany]);
    }
}
