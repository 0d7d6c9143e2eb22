//! 项目: the properties with their buildings and units, and the forms that
//! add a property, correct one's name or household count (the valid-complaint
//! rate is counted per household), add a building, and rename a building
//! or add units to it.

use super::{token, words};
use crate::api::{ApiError, Tagged, admin};
use crate::components::form::{
    FieldErrors, Route, TextField, Unsaved, field_error, route, show_refusal,
};
use crate::components::table::{DataTable, Loaded, loaded};
use crate::state::{AppCtx, use_app};
use leptos::prelude::*;
use shared::id::{BuildingId, PropertyId, UnitId};
use shared::lang::Lang;
use shared::property::{Building, Property, Unit};
use std::collections::BTreeMap;

/// The properties tab.
#[component]
pub fn PropertiesTab() -> impl IntoView {
    let ctx = use_app();
    let properties: Loaded<Tagged<Vec<Property>>> =
        LocalResource::new(move || async move { admin::properties(&token(ctx)?).await });
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <div class="admin-section" data-testid="admin-properties">
            <h3>{t("项目", "Properties")}</h3>
            {loaded(properties, move |list| {
                let rows = list
                    .value
                    .into_iter()
                    .map(|p| {
                        let units: usize = p.buildings.iter().map(|b| b.units.len()).sum();
                        let buildings = p
                            .buildings
                            .iter()
                            .map(|b| format!("{}（{}）", b.name, b.units.len()))
                            .collect::<Vec<_>>()
                            .join("、");
                        let retired = p.retired;
                        view! {
                            <tr data-testid="property-row" data-code=p.code.clone() data-retired=retired.to_string()>
                                <td><strong>{p.code.clone()}</strong></td>
                                <td>
                                    {p.name.clone()}
                                    <Show when=move || retired>
                                        " "<span class="badge none">{t("已停用", "Retired")}</span>
                                    </Show>
                                    {(!p.contact.is_empty()).then(|| view! {
                                        <div class="hint" data-testid="property-contact">{p.contact.clone()}</div>
                                    })}
                                </td>
                                <td>{p.households}</td>
                                <td>{p.buildings.len()}</td>
                                <td>{units}</td>
                                <td class="admin-wrap">{buildings}</td>
                            </tr>
                        }
                    })
                    .collect_view();
                view! {
                    <DataTable testid="property-table" headers=&[
                        ("代码", "Code"),
                        ("名称", "Name"),
                        ("户数", "Households"),
                        ("楼栋数", "Buildings"),
                        ("单元/户数", "Units"),
                        ("楼栋（单元数）", "Buildings (units)"),
                    ]>
                        {rows}
                    </DataTable>
                }
                .into_any()
            })}
            <div class="admin-forms">
                <NewPropertyForm reload=properties/>
                <EditPropertyForm properties=properties/>
                <NewBuildingForm properties=properties/>
                <EditBuildingForm properties=properties/>
            </div>
        </div>
    }
}

/// The action that stores a property (new, or changed from the list read
/// with the given tag) and reloads the list; a refusal goes beside the
/// form's field its code names (`routes`). `stored` runs after the server
/// took it, to empty the form. When the list changed since it was read,
/// it is read again, and what was typed stays in the form to send again.
fn put_property(
    ctx: AppCtx,
    reload: Loaded<Tagged<Vec<Property>>>,
    error: RwSignal<Option<ApiError>>,
    (fields, routes): (FieldErrors, &'static [Route]),
    stored: impl Fn() + Copy + 'static,
) -> Action<(Property, Option<String>), Result<(), ApiError>> {
    Action::new_local(move |(property, tag): &(Property, Option<String>)| {
        let (property, tag) = (property.clone(), tag.clone());
        async move {
            let result = admin::put_property(&token(ctx)?, &property, tag.as_deref()).await;
            match &result {
                Ok(()) => {
                    error.set(None);
                    reload.refetch();
                    crate::sync::request(ctx);
                    stored();
                }
                Err(e) => {
                    if e.code() == Some("admin.changed_meanwhile") {
                        reload.refetch();
                    }
                    show_refusal(e, ctx.l(), routes, fields, error);
                }
            }
            result
        }
    })
}

/// Where the server's refusals of a building's names and units belong
/// (the form checks each name first, so a refusal left is about the units).
const BUILDING_ROUTES: [Route; 2] = [
    route("admin.bad_place_name", "units"),
    route("admin.too_many_places", "units"),
];

/// The longest building or unit name the server takes, in characters
/// (`server::api::admin::MAX_PLACE_CHARS`).
const MAX_PLACE_CHARS: usize = 32;

/// Whether the server would refuse `name` for a building or unit.
fn bad_place_name(name: &str) -> bool {
    name.trim().is_empty() || name.chars().count() > MAX_PLACE_CHARS
}

/// Where the server's refusals of a building's changes belong: a removal
/// of a place with cases, beside the building.
const EDIT_BUILDING_ROUTES: [Route; 3] = [
    route("admin.bad_place_name", "units"),
    route("admin.too_many_places", "units"),
    route("admin.place_in_use", "building"),
];

/// Where the server's refusals of a new property belong.
const NEW_PROPERTY_ROUTES: [Route; 5] = [
    route("admin.bad_property_code", "code"),
    Route {
        code: "conflict",
        field: "code",
        words: Some((
            "该项目代码已被其他项目使用",
            "Another property already has this code",
        )),
    },
    route("admin.bad_property_name", "name"),
    route("admin.bad_households", "households"),
    route("admin.bad_property_contact", "contact"),
];

#[component]
fn NewPropertyForm(reload: Loaded<Tagged<Vec<Property>>>) -> impl IntoView {
    let ctx = use_app();
    // Refusals no field is named for, said beside the form\'s button:
    // at the top of the tab, under a long list, the tap looked lost.
    let error = RwSignal::new(None::<ApiError>);
    let code = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let households = RwSignal::new(String::new());
    let contact = RwSignal::new(String::new());
    let fields: FieldErrors = RwSignal::new(BTreeMap::new());
    // One id for the property being added, until it is saved: a save sent
    // again after its answer was lost stores the same property again, not
    // a second one refused for using its own code.
    let id = StoredValue::new(PropertyId(uuid::Uuid::now_v7()));
    Unsaved::track(move || [code.get(), name.get(), households.get(), contact.get()]);
    let clear = move || {
        id.set_value(PropertyId(uuid::Uuid::now_v7()));
        code.set(String::new());
        name.set(String::new());
        households.set(String::new());
        contact.set(String::new());
    };
    let put = put_property(ctx, reload, error, (fields, &NEW_PROPERTY_ROUTES), clear);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let l = ctx.l();
        error.set(None);
        let typed_code = code.get_untracked().trim().to_ascii_uppercase();
        let typed_name = name.get_untracked().trim().to_string();
        let count = shared::validation::parse_count(&households.get_untracked());
        // The server's checks, made here first so each problem shows
        // beside its field at once.
        let mut found = BTreeMap::new();
        if typed_code.is_empty()
            || typed_code.len() > 8
            || !typed_code.chars().all(|c| c.is_ascii_alphanumeric())
        {
            found.insert("code", words("admin.bad_property_code", l));
        }
        if typed_name.is_empty() || typed_name.chars().count() > 64 {
            found.insert("name", words("admin.bad_property_name", l));
        }
        if count.is_none() {
            found.insert(
                "households",
                l.pick("户数请填写整数", "Households must be a whole number")
                    .into(),
            );
        }
        let typed_contact = contact.get_untracked().trim().to_string();
        if typed_contact.chars().count() > 64 {
            found.insert("contact", words("admin.bad_property_contact", l));
        }
        let stop = !found.is_empty();
        fields.set(found);
        let (false, Some(count)) = (stop, count) else {
            return;
        };
        // A new property cannot undo another's change: no tag.
        let property = Property {
            id: id.get_value(),
            code: typed_code,
            name: typed_name,
            households: count,
            buildings: Vec::new(),
            retired: false,
            contact: typed_contact,
            removed: Vec::new(),
        };
        put.dispatch_local((property, None));
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let beside = move |field: &'static str| {
        field_error(fields, field, format!("new-property-{field}-error"))
    };
    view! {
        <form class="card admin-form" data-testid="new-property-form" on:submit=submit>
            <h3>{t("新增项目", "Add a property")}</h3>
            <TextField label=("代码（1–8 位字母或数字，用于工单编号）", "Code (1–8 letters or digits, used in case numbers)")
                testid="new-property-code" value=code>
                {beside("code")}
            </TextField>
            <TextField label=("名称", "Name") testid="new-property-name" value=name>
                {beside("name")}
            </TextField>
            <TextField label=("户数", "Households") testid="new-property-households" value=households
                inputmode="numeric">
                {beside("households")}
            </TextField>
            <TextField label=("联系方式（客服电话、地址，印在回执上；可不填）", "Contact (service desk phone, address; printed on receipts; optional)")
                testid="new-property-contact" value=contact>
                {beside("contact")}
            </TextField>
            <p class="error" role="alert" data-testid="new-property-refused">{move || error.with(|e| e.as_ref().map(|e| e.message(ctx.lang.get())))}</p>
            <button type="submit" class="btn primary" data-testid="new-property-submit" disabled=move || put.pending().get()>
                {t("添加项目", "Add property")}
            </button>
        </form>
    }
}

/// 修改项目: a property's name or household count, typed wrong or changed
/// since (a new phase handed over). The code stays: case numbers carry it.
#[component]
fn EditPropertyForm(properties: Loaded<Tagged<Vec<Property>>>) -> impl IntoView {
    let ctx = use_app();
    // Refusals no field is named for, said beside the form\'s button:
    // at the top of the tab, under a long list, the tap looked lost.
    let error = RwSignal::new(None::<ApiError>);
    let property = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let households = RwSignal::new(String::new());
    // "", "in_service" or "retired": empty keeps it, as the other inputs.
    let status = RwSignal::new(String::new());
    let contact = RwSignal::new(String::new());
    let fields: FieldErrors = RwSignal::new(BTreeMap::new());
    Unsaved::track(move || [name.get(), households.get(), status.get(), contact.get()]);
    let read = move || listed(properties);
    let clear = move || {
        name.set(String::new());
        households.set(String::new());
        status.set(String::new());
        contact.set(String::new());
    };
    let put = put_property(
        ctx,
        properties,
        error,
        (fields, &NEW_PROPERTY_ROUTES),
        clear,
    );
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let l = ctx.l();
        error.set(None);
        let Tagged { value: list, tag } = read();
        let Some(mut target) = picked(list, property, fields, l) else {
            return;
        };
        let typed_name = name.get_untracked().trim().to_string();
        let typed_count = households.get_untracked().trim().to_string();
        let mut found = BTreeMap::new();
        if typed_name.chars().count() > 64 {
            found.insert("name", words("admin.bad_property_name", l));
        }
        let count = if typed_count.is_empty() {
            None
        } else if let Some(n) = shared::validation::parse_count(&typed_count) {
            Some(n)
        } else {
            found.insert(
                "households",
                l.pick("户数请填写整数", "Households must be a whole number")
                    .into(),
            );
            None
        };
        let retired = match status.get_untracked().as_str() {
            "retired" => Some(true),
            "in_service" => Some(false),
            _ => None,
        };
        // "-" clears it: empty keeps it, as the other inputs.
        let typed_contact = contact.get_untracked().trim().to_string();
        let new_contact = match typed_contact.as_str() {
            "" => None,
            "-" => Some(String::new()),
            _ => Some(typed_contact),
        };
        if new_contact.as_ref().is_some_and(|c| c.chars().count() > 64) {
            found.insert("contact", words("admin.bad_property_contact", l));
        }
        if found.is_empty()
            && typed_name.is_empty()
            && count.is_none()
            && retired.is_none()
            && new_contact.is_none()
        {
            found.insert(
                "name",
                l.pick(
                    "请填写新名称、户数、联系方式或状态",
                    "Enter a new name, household count, contact or status",
                )
                .into(),
            );
        }
        let stop = !found.is_empty();
        fields.set(found);
        if stop {
            return;
        }
        if !typed_name.is_empty() {
            target.name = typed_name;
        }
        if let Some(n) = count {
            target.households = n;
        }
        if let Some(r) = retired {
            target.retired = r;
        }
        if let Some(c) = new_contact {
            target.contact = c;
        }
        put.dispatch_local((target, tag));
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let beside = move |field: &'static str| {
        field_error(fields, field, format!("edit-property-{field}-error"))
    };
    view! {
        <form class="card admin-form" data-testid="edit-property-form" on:submit=submit>
            <h3>{t("修改项目", "Change a property")}</h3>
            <PropertyPicker form="edit-property" chosen=property fields=fields properties=move || read().value/>
            <TextField label=("新名称（不改则留空）", "New name (empty keeps it)") testid="edit-property-name" value=name>
                {beside("name")}
            </TextField>
            <TextField label=("户数（不改则留空）", "Households (empty keeps them)") testid="edit-property-households"
                value=households inputmode="numeric">
                {beside("households")}
            </TextField>
            <TextField label=("联系方式（不改则留空，填 - 清除）", "Contact (empty keeps it, - clears it)")
                testid="edit-property-contact" value=contact>
                {beside("contact")}
            </TextField>
            <label class="field">
                <span>{t("状态（不改则留空）", "Status (empty keeps it)")}</span>
                <select data-testid="edit-property-status" on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="" prop:selected=move || status.get().is_empty()>{t("不改", "Keep")}</option>
                    <option value="in_service" prop:selected=move || status.get() == "in_service">{t("在管", "Managed")}</option>
                    <option value="retired" prop:selected=move || status.get() == "retired">{t("停用（不再接新工单）", "Retired (no new cases)")}</option>
                </select>
            </label>
            <p class="hint">{t(
                "项目代码用于工单编号，不能修改。户数用于计算有效投诉率。停用的项目（合同结束）保留其工单和统计，登记新工单和新增用户时不再可选。",
                "The code is part of every case number and stays. The household count is what the valid-complaint rate divides by. A retired property (its contract ended) keeps its cases and statistics, and is no longer offered for new cases or users.",
            )}</p>
            <p class="error" role="alert" data-testid="edit-property-refused">{move || error.with(|e| e.as_ref().map(|e| e.message(ctx.lang.get())))}</p>
            <button type="submit" class="btn primary" data-testid="edit-property-submit" disabled=move || put.pending().get()>
                {t("保存项目", "Save property")}
            </button>
        </form>
    }
}

#[component]
fn NewBuildingForm(properties: Loaded<Tagged<Vec<Property>>>) -> impl IntoView {
    let ctx = use_app();
    // Refusals no field is named for, said beside the form\'s button:
    // at the top of the tab, under a long list, the tap looked lost.
    let error = RwSignal::new(None::<ApiError>);
    let property = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let units = RwSignal::new(String::new());
    let fields: FieldErrors = RwSignal::new(BTreeMap::new());
    Unsaved::track(move || [name.get(), units.get()]);
    let props = move || {
        properties
            .get()
            .and_then(Result::ok)
            .map(|list| list.value)
            .unwrap_or_default()
    };
    let clear = move || {
        name.set(String::new());
        units.set(String::new());
    };
    // The property itself passed the server's checks when it was added:
    // what could fail now is said for the form.
    let put = put_property(ctx, properties, error, (fields, &BUILDING_ROUTES), clear);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let l = ctx.l();
        error.set(None);
        fields.set(BTreeMap::new());
        let problem = |field: &'static str, message: String| {
            fields.set(BTreeMap::from([(field, message)]));
        };
        let Some(mut target) = picked(props(), property, fields, l) else {
            return;
        };
        let building_name = name.get_untracked().trim().to_string();
        if building_name.is_empty() {
            problem(
                "name",
                l.pick("请填写楼栋名称", "Enter the building's name").into(),
            );
            return;
        }
        if bad_place_name(&building_name) {
            problem("name", words("admin.bad_place_name", l));
            return;
        }
        if target.buildings.iter().any(|b| b.name == building_name) {
            problem(
                "name",
                match l {
                    Lang::ZhCn => format!("{} 已有楼栋 {building_name}", target.name),
                    Lang::En => format!("{} already has a building {building_name}", target.name),
                },
            );
            return;
        }
        let added = shared::property::split_unit_names(&units.get_untracked());
        if added.iter().any(|u| bad_place_name(u)) {
            problem("units", words("admin.bad_place_name", l));
            return;
        }
        target.buildings.push(Building {
            id: BuildingId(uuid::Uuid::now_v7()),
            name: building_name,
            units: added
                .into_iter()
                .map(|name| Unit {
                    id: UnitId(uuid::Uuid::now_v7()),
                    name,
                })
                .collect(),
        });
        let tag = properties
            .get_untracked()
            .and_then(Result::ok)
            .and_then(|list| list.tag);
        put.dispatch_local((target, tag));
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let beside = move |field: &'static str| {
        field_error(fields, field, format!("new-building-{field}-error"))
    };
    view! {
        <form class="card admin-form" data-testid="new-building-form" on:submit=submit>
            <h3>{t("新增楼栋", "Add a building")}</h3>
            <PropertyPicker form="new-building" chosen=property fields=fields properties=move || props()/>
            <TextField label=("楼栋名称（如 3栋）", "Building name (e.g. Building 3)") testid="new-building-name" value=name>
                {beside("name")}
            </TextField>
            <label class="field">
                <span>{t("单元/户（用逗号分隔，如 101,102,201）", "Units (comma-separated, e.g. 101,102,201)")}</span>
                <textarea data-testid="new-building-units"
                    prop:value=move || units.get() on:input=move |ev| units.set(event_target_value(&ev))></textarea>
                {beside("units")}
            </label>
            <p class="error" role="alert" data-testid="new-building-refused">{move || error.with(|e| e.as_ref().map(|e| e.message(ctx.lang.get())))}</p>
            <button type="submit" class="btn primary" data-testid="new-building-submit" disabled=move || put.pending().get()>
                {t("添加楼栋", "Add building")}
            </button>
        </form>
    }
}

/// Renames a building, adds units to it, renames or removes one of its
/// units, or removes the building. The server refuses a removal while
/// cases are located there (`admin.place_in_use`): a typo in a place with
/// cases is fixed by renaming.
#[component]
fn EditBuildingForm(properties: Loaded<Tagged<Vec<Property>>>) -> impl IntoView {
    let ctx = use_app();
    // Refusals no field is named for, said beside the form\'s button:
    // at the top of the tab, under a long list, the tap looked lost.
    let error = RwSignal::new(None::<ApiError>);
    let property = RwSignal::new(String::new());
    let building = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let units = RwSignal::new(String::new());
    let unit = RwSignal::new(String::new());
    let unit_name = RwSignal::new(String::new());
    let remove_unit = RwSignal::new(false);
    let remove_building = RwSignal::new(false);
    let fields: FieldErrors = RwSignal::new(BTreeMap::new());
    Unsaved::track(move || {
        (
            [name.get(), units.get(), unit_name.get()],
            remove_unit.get(),
            remove_building.get(),
        )
    });
    let read = move || listed(properties);
    let chosen = move || {
        let id = property.get();
        read().value.into_iter().find(|p| p.id.to_string() == id)
    };
    let chosen_building = move || {
        let id = building.get();
        chosen().and_then(|p| p.buildings.into_iter().find(|b| b.id.to_string() == id))
    };
    let clear = move || {
        name.set(String::new());
        units.set(String::new());
        unit.set(String::new());
        unit_name.set(String::new());
        remove_unit.set(false);
        remove_building.set(false);
    };
    let put = put_property(
        ctx,
        properties,
        error,
        (fields, &EDIT_BUILDING_ROUTES),
        clear,
    );
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let l = ctx.l();
        error.set(None);
        let problem = |field: &'static str, message: String| {
            fields.set(BTreeMap::from([(field, message)]));
        };
        fields.set(BTreeMap::new());
        let Tagged { value: list, tag } = read();
        let Some(mut target) = picked(list, property, fields, l) else {
            return;
        };
        let chosen_building = building.get_untracked();
        if remove_building.get_untracked() {
            let before = target.buildings.len();
            target
                .buildings
                .retain(|b| b.id.to_string() != chosen_building);
            if target.buildings.len() == before {
                problem("building", l.pick("请选择楼栋", "Choose a building").into());
                return;
            }
            put.dispatch_local((target, tag));
            return;
        }
        let others: Vec<String> = target
            .buildings
            .iter()
            .filter(|b| b.id.to_string() != chosen_building)
            .map(|b| b.name.clone())
            .collect();
        let Some(edited) = target
            .buildings
            .iter_mut()
            .find(|b| b.id.to_string() == chosen_building)
        else {
            problem("building", l.pick("请选择楼栋", "Choose a building").into());
            return;
        };
        let new_name = name.get_untracked().trim().to_string();
        if !new_name.is_empty() && bad_place_name(&new_name) {
            problem("name", words("admin.bad_place_name", l));
            return;
        }
        if others.contains(&new_name) {
            problem(
                "name",
                match l {
                    Lang::ZhCn => format!("已有楼栋 {new_name}"),
                    Lang::En => format!("There already is a building {new_name}"),
                },
            );
            return;
        }
        let added = shared::property::split_unit_names(&units.get_untracked());
        if added.iter().any(|u| bad_place_name(u)) {
            problem("units", words("admin.bad_place_name", l));
            return;
        }
        if let Some(taken) = added
            .iter()
            .find(|u| edited.units.iter().any(|have| have.name == **u))
        {
            problem(
                "units",
                match l {
                    Lang::ZhCn => format!("{} 已有 {taken}", edited.name),
                    Lang::En => format!("{} already has {taken}", edited.name),
                },
            );
            return;
        }
        // One unit renamed or removed; a unit chosen in another building
        // before the building changed is chosen no more (the select shows
        // none).
        let chosen_unit = unit.get_untracked();
        let new_unit_name = unit_name.get_untracked().trim().to_string();
        let at = edited
            .units
            .iter()
            .position(|u| u.id.to_string() == chosen_unit);
        let unit_change = at.is_some();
        if let Some(at) = at {
            if remove_unit.get_untracked() {
                edited.units.remove(at);
            } else if new_unit_name.is_empty() || bad_place_name(&new_unit_name) {
                problem(
                    "unit_name",
                    l.pick(
                        "请填写单元/户的新名称，或勾选删除",
                        "Enter the unit's new name, or tick remove",
                    )
                    .into(),
                );
                return;
            } else if edited.units.iter().any(|u| u.name == new_unit_name)
                || added.contains(&new_unit_name)
            {
                problem(
                    "unit_name",
                    match l {
                        Lang::ZhCn => format!("{} 已有 {new_unit_name}", edited.name),
                        Lang::En => format!("{} already has {new_unit_name}", edited.name),
                    },
                );
                return;
            } else {
                edited.units[at].name = new_unit_name;
            }
        }
        if new_name.is_empty() && added.is_empty() && !unit_change {
            problem(
                "name",
                l.pick(
                    "请填写新名称、要添加的单元/户，或选择要修改的单元/户",
                    "Enter a new name or units to add, or choose a unit to change",
                )
                .into(),
            );
            return;
        }
        if !new_name.is_empty() {
            edited.name = new_name;
        }
        edited.units.extend(added.into_iter().map(|name| Unit {
            id: UnitId(uuid::Uuid::now_v7()),
            name,
        }));
        put.dispatch_local((target, tag));
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let beside = move |field: &'static str| {
        field_error(fields, field, format!("edit-building-{field}-error"))
    };
    view! {
        <form class="card admin-form" data-testid="edit-building-form" on:submit=submit>
            <h3>{t("修改楼栋", "Change a building")}</h3>
            <PropertyPicker form="edit-building" chosen=property fields=fields properties=move || read().value/>
            <label class="field">
                <span>{t("楼栋", "Building")}</span>
                // A building of another property, once the property
                // changes, matches no option: the submit asks for one.
                <IdSelect testid="edit-building-building" chosen=building
                    options=move || {
                        chosen()
                            .map(|p| p.buildings)
                            .unwrap_or_default()
                            .iter()
                            .map(|b| {
                                let units = b.units.iter().map(|u| u.name.as_str()).collect::<Vec<_>>().join("、");
                                (b.id.to_string(), format!("{}（{units}）", b.name))
                            })
                            .collect()
                    }/>
                {beside("building")}
            </label>
            <TextField label=("新名称（不改则留空）", "New name (empty keeps it)") testid="edit-building-name" value=name>
                {beside("name")}
            </TextField>
            <label class="field">
                <span>{t("添加单元/户（用逗号分隔）", "Units to add (comma-separated)")}</span>
                <textarea data-testid="edit-building-units"
                    prop:value=move || units.get() on:input=move |ev| units.set(event_target_value(&ev))></textarea>
                {beside("units")}
            </label>
            <label class="field">
                <span>{t("修改单元/户（不改则不选）", "Change a unit (none keeps them)")}</span>
                <IdSelect testid="edit-building-unit" chosen=unit
                    options=move || {
                        chosen_building()
                            .map(|b| b.units)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|u| (u.id.to_string(), u.name))
                            .collect()
                    }/>
            </label>
            <TextField label=("单元/户新名称", "The unit's new name") testid="edit-building-unit-name" value=unit_name>
                {beside("unit_name")}
            </TextField>
            <label class="check">
                <input type="checkbox" data-testid="edit-building-unit-remove"
                    prop:checked=move || remove_unit.get()
                    on:change=move |ev| remove_unit.set(event_target_checked(&ev))/>
                {t("删除该单元/户", "Remove this unit")}
            </label>
            <label class="check">
                <input type="checkbox" data-testid="edit-building-remove"
                    prop:checked=move || remove_building.get()
                    on:change=move |ev| remove_building.set(event_target_checked(&ev))/>
                {t("删除整个楼栋", "Remove the whole building")}
            </label>
            <p class="hint">{t(
                "已有工单的楼栋和单元不能删除，只能改名。",
                "A building or unit with cases cannot be removed, only renamed.",
            )}</p>
            <p class="error" role="alert" data-testid="edit-building-refused">{move || error.with(|e| e.as_ref().map(|e| e.message(ctx.lang.get())))}</p>
            <button type="submit" class="btn primary" data-testid="edit-building-submit" disabled=move || put.pending().get()>
                {t("保存楼栋", "Save building")}
            </button>
        </form>
    }
}

/// The properties as last read, with the revision they were read at;
/// none while they load.
fn listed(properties: Loaded<Tagged<Vec<Property>>>) -> Tagged<Vec<Property>> {
    properties.get().and_then(Result::ok).unwrap_or(Tagged {
        value: Vec::new(),
        tag: None,
    })
}

/// The property chosen in a form's picker, or, beside the picker, a
/// request to choose one.
fn picked(
    list: Vec<Property>,
    chosen: RwSignal<String>,
    fields: FieldErrors,
    l: Lang,
) -> Option<Property> {
    let id = chosen.get_untracked();
    let found = list.into_iter().find(|p| p.id.to_string() == id);
    if found.is_none() {
        fields.set(BTreeMap::from([(
            "property",
            l.pick("请选择项目", "Choose a property").to_string(),
        )]));
    }
    found
}

/// The property a form is about, by its code and name, with what is wrong
/// beside it (`{form}-property`, `{form}-property-error`).
#[component]
fn PropertyPicker(
    form: &'static str,
    chosen: RwSignal<String>,
    fields: FieldErrors,
    properties: impl Fn() -> Vec<Property> + Send + Sync + 'static,
) -> impl IntoView {
    let ctx = use_app();
    view! {
        <label class="field">
            <span>{move || ctx.lang.get().pick("项目", "Property")}</span>
            <IdSelect testid=format!("{form}-property") chosen=chosen
                options=move || {
                    properties()
                        .iter()
                        .map(|p| (p.id.to_string(), format!("{} {}", p.code, p.name)))
                        .collect()
                }/>
            {field_error(fields, "property", format!("{form}-property-error"))}
        </label>
    }
}

/// A select of `(id, label)` choices bound to `chosen`, "请选择" first.
#[component]
fn IdSelect(
    #[prop(into)] testid: String,
    chosen: RwSignal<String>,
    options: impl Fn() -> Vec<(String, String)> + Send + Sync + 'static,
) -> impl IntoView {
    let ctx = use_app();
    view! {
        <select data-testid=testid on:change=move |ev| chosen.set(event_target_value(&ev))>
            <option value="">{move || ctx.lang.get().pick("请选择", "Choose")}</option>
            {move || options()
                .into_iter()
                .map(|(id, label)| {
                    let selected = {
                        let id = id.clone();
                        move || chosen.get() == id
                    };
                    view! { <option value=id prop:selected=selected>{label}</option> }
                })
                .collect_view()}
        </select>
    }
}
