//! 类别: the case categories, edited as one list; codes cases already use
//! stay fixed and can only be retired.

use super::{ReadAgain, changed_meanwhile, token, words};
use crate::api::{ApiError, Tagged, admin};
use crate::components::form::Unsaved;
use crate::components::table::{DataTable, Loaded, loaded};
use crate::state::use_app;
use leptos::prelude::*;
use shared::category::Category;
use shared::lang::Lang;
use std::collections::BTreeMap;

/// The categories tab.
#[component]
pub fn CategoriesTab() -> impl IntoView {
    let ctx = use_app();
    let categories: Loaded<Tagged<Vec<Category>>> =
        LocalResource::new(move || async move { admin::categories(&token(ctx)?).await });
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <div class="admin-section" data-testid="admin-categories">
            <h3>{t("工单类别", "Case categories")}</h3>
            <p class="hint">{t(
                "已有工单使用的类别不能删除，只能停用；停用的类别不再用于新工单。",
                "A category that cases use cannot be removed, only retired; retired categories are not offered for new cases.",
            )}</p>
            {loaded(categories, move |list| view! { <CategoryEditor initial=list.value tag=list.tag reload=categories/> }.into_any())}
        </div>
    }
}

/// One editable category; `existing` codes are fixed, because cases store
/// the code.
#[derive(Clone, Copy)]
struct CategoryRow {
    key: usize,
    existing: bool,
    code: RwSignal<String>,
    name_zh: RwSignal<String>,
    name_en: RwSignal<String>,
    active: RwSignal<bool>,
}

impl CategoryRow {
    fn new(key: usize, c: Category, existing: bool) -> CategoryRow {
        CategoryRow {
            key,
            existing,
            code: RwSignal::new(c.code),
            name_zh: RwSignal::new(c.name_zh),
            name_en: RwSignal::new(c.name_en),
            active: RwSignal::new(c.active),
        }
    }

    /// Whether nothing is typed in it.
    fn is_blank(&self) -> bool {
        [self.code, self.name_zh, self.name_en]
            .iter()
            .all(|t| t.with_untracked(|t| t.trim().is_empty()))
    }

    fn category(&self) -> Category {
        Category {
            code: self.code.get_untracked().trim().to_lowercase(),
            name_zh: self.name_zh.get_untracked().trim().to_string(),
            name_en: self.name_en.get_untracked().trim().to_string(),
            active: self.active.get_untracked(),
        }
    }
}

#[component]
fn CategoryEditor(
    initial: Vec<Category>,
    tag: Option<String>,
    reload: Loaded<Tagged<Vec<Category>>>,
) -> impl IntoView {
    let ctx = use_app();
    // The revision the list was read at, and then saved at: a save made
    // after another admin's is refused instead of undoing it.
    let tag = StoredValue::new(tag);
    let next_key = StoredValue::new(0usize);
    let make_rows = move |list: Vec<Category>| -> Vec<CategoryRow> {
        list.into_iter()
            .map(|c| {
                let key = next_key.get_value();
                next_key.set_value(key + 1);
                CategoryRow::new(key, c, true)
            })
            .collect()
    };
    let rows = RwSignal::new(make_rows(initial));
    let unsaved = Unsaved::track(move || {
        rows.with(|r| {
            r.iter()
                .map(|row| {
                    let texts = [row.code.get(), row.name_zh.get(), row.name_en.get()];
                    (texts, row.active.get())
                })
                .collect::<Vec<_>>()
        })
    });
    let error = RwSignal::new(None::<ApiError>);
    let done = RwSignal::new(None::<String>);
    let add = move |_| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        let blank = Category {
            code: String::new(),
            name_zh: String::new(),
            name_en: String::new(),
            active: true,
        };
        rows.update(|r| r.push(CategoryRow::new(key, blank, false)));
    };
    // Problems by row key, beside the row.
    let row_errors = RwSignal::new(BTreeMap::<usize, String>::new());
    let store = Action::new_local(move |list: &Vec<Category>| {
        let list = list.clone();
        async move {
            let result =
                admin::put_categories(&token(ctx)?, &list, tag.get_value().as_deref()).await;
            match &result {
                Ok(stored) => {
                    rows.set(make_rows(stored.value.clone()));
                    tag.set_value(stored.tag.clone());
                    unsaved.settle();
                    done.set(Some(ctx.l().pick("类别已保存", "Categories saved").into()));
                    crate::sync::request(ctx);
                }
                Err(e) => error.set(Some(e.clone())),
            }
            result.map(drop)
        }
    });
    let save = move |_| {
        if ctx.token().is_none() {
            return;
        }
        let l = ctx.l();
        error.set(None);
        done.set(None);
        // A row added and left blank is no category: it is not saved,
        // rather than refused.
        let mut keyed: Vec<(usize, Category)> = rows.with_untracked(|r| {
            r.iter()
                .filter(|row| row.existing || !row.is_blank())
                .map(|row| (row.key, row.category()))
                .collect()
        });
        fill_defaults(&mut keyed);
        let found = check_category_rows(&keyed, l);
        let stop = !found.is_empty();
        row_errors.set(found);
        if stop {
            return;
        }
        store.dispatch_local(keyed.into_iter().map(|(_, c)| c).collect());
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    // A cell's input is named by its column and its row's category, as a
    // screen reader reads it away from the table's header.
    let named = move |r: CategoryRow, zh: &'static str, en: &'static str| {
        let l = ctx.lang.get();
        let row = r.name_zh.with(|z| {
            r.code.with(|c| {
                if z.trim().is_empty() {
                    c.clone()
                } else {
                    z.clone()
                }
            })
        });
        format!("{} – {}", l.pick(zh, en), row)
    };
    view! {
        <DataTable testid="category-table" headers=&[
            ("代码", "Code"),
            ("中文名称", "Chinese name"),
            ("英文名称", "English name"),
            ("启用", "Active"),
        ]>
                    <For each=move || rows.get() key=|r| r.key children=move |r: CategoryRow| view! {
                        <tr data-testid="category-row">
                            <td>
                                <input type="text" class="admin-cell" data-testid="category-code"
                                    aria-label=move || named(r, "代码", "Code")
                                    autocapitalize="none" spellcheck="false"
                                    readonly=r.existing
                                    placeholder=move || ctx.lang.get().pick("留空自动生成", "empty: made for you")
                                    prop:value=move || r.code.get() on:input=move |ev| r.code.set(event_target_value(&ev))/>
                                <span class="field-error" role="alert" data-testid="category-error">
                                    {move || row_errors.with(|e| e.get(&r.key).cloned())}
                                </span>
                            </td>
                            <td>
                                <input type="text" class="admin-cell" data-testid="category-zh"
                                    aria-label=move || named(r, "中文名称", "Chinese name")
                                    prop:value=move || r.name_zh.get() on:input=move |ev| r.name_zh.set(event_target_value(&ev))/>
                            </td>
                            <td>
                                <input type="text" class="admin-cell" data-testid="category-en"
                                    aria-label=move || named(r, "英文名称", "English name")
                                    prop:value=move || r.name_en.get() on:input=move |ev| r.name_en.set(event_target_value(&ev))/>
                            </td>
                            <td>
                                <label class="check">
                                    <input type="checkbox" data-testid="category-active"
                                        aria-label=move || named(r, "启用", "Active")
                                        prop:checked=move || r.active.get() on:change=move |ev| r.active.set(event_target_checked(&ev))/>
                                </label>
                                // A row not saved yet can go again; a saved
                                // one is only retired, as cases may use it.
                                {(!r.existing).then(|| view! {
                                    <button type="button" class="btn small" data-testid="category-remove"
                                        on:click=move |_| rows.update(|all| all.retain(|x| x.key != r.key))>
                                        {t("移除", "Remove")}
                                    </button>
                                })}
                            </td>
                        </tr>
                    }/>
        </DataTable>
        <div class="actions">
            <button type="button" class="btn" data-testid="categories-add" on:click=add>{t("添加类别", "Add category")}</button>
            <button type="button" class="btn primary" data-testid="categories-save" disabled=move || store.pending().get() on:click=save>
                {t("保存类别", "Save categories")}
            </button>
        </div>
        <p class="error" role="alert" data-testid="admin-error">{move || error.with(|e| e.as_ref().map(|e| e.message(ctx.lang.get())))}</p>
        <ReadAgain
            when=Signal::derive(move || error.with(|e| e.as_ref().is_some_and(changed_meanwhile)))
            read=move || reload.refetch()/>
        <p class="admin-done" role="status" data-testid="categories-status">{move || done.get()}</p>
    }
}

/// A new category named in Chinese only gets a code (`custom_N`, the first
/// one free; statistics and exports key on it) and its Chinese name as its
/// English one, so that a Chinese admin need invent neither.
fn fill_defaults(rows: &mut [(usize, Category)]) {
    let mut taken: std::collections::HashSet<String> =
        rows.iter().map(|(_, c)| c.code.clone()).collect();
    for (_, c) in rows.iter_mut().filter(|(_, c)| !c.name_zh.is_empty()) {
        if c.code.is_empty() {
            let code = (1..)
                .map(|n| format!("custom_{n}"))
                .find(|code| !taken.contains(code))
                .unwrap_or_default();
            taken.insert(code.clone());
            c.code = code;
        }
        if c.name_en.is_empty() {
            c.name_en = c.name_zh.clone();
        }
    }
}

/// The server's checks of a category list (`shared::category::problems`),
/// made here so that each problem shows beside its row (by key).
fn check_category_rows(rows: &[(usize, Category)], l: Lang) -> BTreeMap<usize, String> {
    let list: Vec<Category> = rows.iter().map(|(_, c)| c.clone()).collect();
    shared::category::problems(&list)
        .into_iter()
        .map(|(at, problem)| (rows[at].0, words(problem.code(), l)))
        .collect()
}
