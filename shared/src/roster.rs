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
use crate::validation::{MAX_DIRECTORY_NAME, MAX_LOGIN, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
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
        }
    }

    fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (RosterProblem::Incomplete, _) => lang
                .pick("缺少登录名或姓名", "The login or the name is missing")
                .into(),
            (RosterProblem::UnknownRole(r), Lang::ZhCn) => format!("没有这个角色：{r}"),
            (RosterProblem::UnknownRole(r), Lang::En) => format!("No such role: {r}"),
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
                format!("登录名为 1–{MAX_LOGIN} 个字符，不含空格")
            }
            (RosterProblem::BadLogin, Lang::En) => {
                format!("A login is 1–{MAX_LOGIN} characters without spaces")
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
            (RosterProblem::TooMany, _) => match lang {
                Lang::ZhCn => format!("一次最多导入 {MAX_ROSTER_USERS} 人"),
                Lang::En => format!("One import takes at most {MAX_ROSTER_USERS} users"),
            },
        }
    }
}

/// A role by its code or its name in either language.
fn role_named(text: &str) -> Option<Role> {
    Role::from_code(text).or_else(|| {
        Role::ALL
            .into_iter()
            .find(|r| r.label(Lang::ZhCn) == text || r.label(Lang::En).eq_ignore_ascii_case(text))
    })
}

/// Whether a line names the columns rather than a user.
/// A login as it is kept and looked up: trimmed, full-width letters and
/// digits read as ASCII, lowercase (`search::fold`). Staff type logins on
/// tablets whose keyboards capitalize the first letter, or type full
/// width in Chinese mode: `Zhang3` and `ｚｈａｎｇ３` are `zhang3`.
pub fn login(typed: &str) -> String {
    crate::search::fold(typed.trim())
}

fn is_header(first_cell: &str) -> bool {
    matches!(first_cell, "登录名" | "账号") || first_cell.eq_ignore_ascii_case("login")
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
        if cells.iter().all(String::is_empty) || (out.is_empty() && is_header(&cells[0])) {
            continue;
        }
        let cell = |i: usize| cells.get(i).cloned().unwrap_or_default();
        let mut problems = Vec::new();
        let (login, display_name) = (login(&cell(0)), cell(1));
        if login.is_empty() || display_name.is_empty() {
            problems.push(RosterProblem::Incomplete);
        } else if login.chars().count() > MAX_LOGIN || login.chars().any(char::is_whitespace) {
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
        let role = role_named(&cell(2));
        if role.is_none() {
            problems.push(RosterProblem::UnknownRole(cell(2)));
        }
        let mut ids = Vec::new();
        for name in split_unit_names(&cell(3)) {
            match properties
                .iter()
                .find(|p| p.code.eq_ignore_ascii_case(&name) || p.name == name)
            {
                Some(p) if p.retired => problems.push(RosterProblem::RetiredProperty(name)),
                Some(p) => ids.push(p.id),
                None => problems.push(RosterProblem::UnknownProperty(name)),
            }
        }
        if role.is_some_and(|r| !r.sees_all_properties()) && cell(3).is_empty() {
            problems.push(RosterProblem::NoProperties);
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
    fn one_import_takes_a_bounded_number_of_users() {
        let many: String = (0..=MAX_ROSTER_USERS)
            .map(|i| format!("u{i}\tU{i}\tgm\n"))
            .collect();
        let lines = read_roster(&many, &[], &[]);
        assert_eq!(lines.len(), MAX_ROSTER_USERS + 1);
        assert_eq!(lines[MAX_ROSTER_USERS].problems, [RosterProblem::TooMany]);
    }
}
