//! The five operations every Neutron resource shares — bulk-capable create,
//! list (filters, fields, sort, pagination), show, update with `If-Match`,
//! delete — written once over the [`Resource`] trait, with their routes and
//! their OpenAPI operations. Each resource file keeps only what is its own:
//! attributes, body parsing, views and any member actions.

use std::future::Future;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put, MethodRouter};
use serde_json::Value;
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::{OpenApi, OpenApiBuilder, PathItem, Paths, Required, ResponseBuilder};
use utoipa_axum::router::OpenApiRouter;

use super::body::{self, Object};
use super::listing::{self, ListQuery, Listable};
use super::AppState;
use crate::domain::{Caller, Neutron, NeutronError, Result};

/// A collection served at `/v2.0/<path>` with its members at
/// `/v2.0/<path>/{<singular>_id}`.
pub trait Resource: Send + Sync + 'static {
    /// The body key of one member (`security_group`).
    const SINGULAR: &'static str;
    /// The body key of the collection (`security_groups`).
    const PLURAL: &'static str;
    /// The URL path (`/v2.0/security-groups`).
    const PATH: &'static str;
    /// The OpenAPI tag.
    const TAG: &'static str;
    /// What a list may filter and sort on.
    const LISTABLE: &'static Listable;
    /// What the domain returns for one member.
    type Record: Send + Sync;
    /// The 404 of a member (also a list's unknown marker).
    const NOT_FOUND: fn(&str) -> NeutronError;
    /// Every member the caller may see (the query may narrow what is read).
    fn list(
        neutron: &Neutron,
        caller: &Caller,
        query: &ListQuery,
    ) -> impl Future<Output = Result<Vec<Self::Record>>> + Send;
    /// One member.
    fn show(
        neutron: &Neutron,
        caller: &Caller,
        id: &str,
    ) -> impl Future<Output = Result<Self::Record>> + Send;
    /// Deletes one member, at `revision` when `If-Match` names one.
    fn delete(
        neutron: &Neutron,
        caller: &Caller,
        id: &str,
        revision: Option<i64>,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The views of `records` as the caller may see them.
    fn views(
        neutron: &Neutron,
        caller: &Caller,
        records: &[Self::Record],
    ) -> impl Future<Output = Result<Vec<Value>>> + Send;
}

/// A resource whose members the API creates.
pub trait Creatable: Resource {
    /// What the domain takes to create one.
    type New: Send;
    /// Checks one member of a create body.
    const PARSE_NEW: fn(&Caller, &Object) -> Result<Self::New>;

    /// Checks a bulk request as a whole (before anything is created).
    fn check_batch(_asked: &[Self::New]) -> Result<()> {
        Ok(())
    }
    /// Creates one member.
    fn create(
        neutron: &Neutron,
        caller: &Caller,
        new: Self::New,
    ) -> impl Future<Output = Result<Self::Record>> + Send;
}

/// A resource whose members can be updated.
pub trait Updatable: Resource {
    /// What the domain takes to update one.
    type Update: Send;
    /// Attributes an update may not name.
    const READ_ONLY: &'static [&'static str];
    /// Every attribute of the resource.
    const ATTRIBUTES: &'static [&'static str];

    /// An update body, checked.
    fn parse_update(object: &Object) -> Result<Self::Update>;
    /// Updates one member, at `revision` when `If-Match` names one.
    fn update(
        neutron: &Neutron,
        caller: &Caller,
        id: &str,
        update: Self::Update,
        revision: Option<i64>,
    ) -> impl Future<Output = Result<Self::Record>> + Send;
}

/// `{key: value}`.
fn keyed(key: &str, value: Value) -> Value {
    Value::Object([(key.to_string(), value)].into_iter().collect())
}

/// The associated items of a [`Resource`] whose domain calls are
/// `list_x(caller)` (unless the impl writes its own `list`), `show_x(caller,
/// id)` and `delete_x(caller, id, revision)`.
macro_rules! forward {
    ($record:ty; $(list: $list:ident,)? show: $show:ident, delete: $delete:ident) => {
        type Record = $record;
        $(
        async fn list(
            neutron: &$crate::domain::Neutron,
            caller: &$crate::domain::Caller,
            _: &super::listing::ListQuery,
        ) -> $crate::domain::Result<Vec<$record>> {
            neutron.$list(caller).await
        }
        )?
        async fn show(
            neutron: &$crate::domain::Neutron,
            caller: &$crate::domain::Caller,
            id: &str,
        ) -> $crate::domain::Result<$record> {
            neutron.$show(caller, id).await
        }
        async fn delete(
            neutron: &$crate::domain::Neutron,
            caller: &$crate::domain::Caller,
            id: &str,
            revision: Option<i64>,
        ) -> $crate::domain::Result<()> {
            neutron.$delete(caller, id, revision).await
        }
    };
}
pub(crate) use forward;

/// The associated items of a [`Creatable`] whose domain call is
/// `create_x(caller, new)` and whose create body `parse` checks.
macro_rules! forward_create {
    ($record:ty, $new:ty; $call:ident, $parse:path) => {
        type New = $new;
        const PARSE_NEW: fn(
            &$crate::domain::Caller,
            &super::body::Object,
        ) -> $crate::domain::Result<$new> = $parse;

        async fn create(
            neutron: &$crate::domain::Neutron,
            caller: &$crate::domain::Caller,
            new: $new,
        ) -> $crate::domain::Result<$record> {
            neutron.$call(caller, new).await
        }
    };
}
pub(crate) use forward_create;

/// The associated items of an [`Updatable`] whose domain call is
/// `update_x(caller, id, update, revision)`.
macro_rules! forward_update {
    ($record:ty, $update:ty; $call:ident) => {
        type Update = $update;

        async fn update(
            neutron: &$crate::domain::Neutron,
            caller: &$crate::domain::Caller,
            id: &str,
            update: $update,
            revision: Option<i64>,
        ) -> $crate::domain::Result<$record> {
            neutron.$call(caller, id, update, revision).await
        }
    };
}
pub(crate) use forward_update;

async fn one_view<R: Resource>(
    neutron: &Neutron,
    caller: &Caller,
    record: R::Record,
) -> Result<Value> {
    Ok(R::views(neutron, caller, &[record])
        .await?
        .pop()
        .unwrap_or(Value::Null))
}

async fn create<R: Creatable>(
    State(neutron): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response> {
    let (objects, bulk) = body::creates(&body, R::SINGULAR, R::PLURAL)?;
    let asked = objects
        .iter()
        .map(|o| (R::PARSE_NEW)(&caller, o))
        .collect::<Result<Vec<_>>>()?;
    R::check_batch(&asked)?;
    let mut made = Vec::with_capacity(asked.len());
    for new in asked {
        made.push(R::create(&neutron, &caller, new).await?);
    }
    let mut views = R::views(&neutron, &caller, &made).await?;
    let body = if bulk {
        keyed(R::PLURAL, Value::Array(views))
    } else {
        keyed(R::SINGULAR, views.pop().unwrap_or(Value::Null))
    };
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

async fn list<R: Resource>(
    State(neutron): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let query = ListQuery::parse(
        query.as_deref().unwrap_or_default(),
        R::LISTABLE,
        neutron.cfg.max_limit,
    )?;
    let records = R::list(&neutron, &caller, &query).await?;
    let items = R::views(&neutron, &caller, &records).await?;
    let base = super::base_url(&neutron, &headers);
    let page = listing::page(items, &query, &base, R::PATH, R::PLURAL, R::NOT_FOUND)?;
    Ok(axum::Json(page).into_response())
}

async fn show<R: Resource>(
    State(neutron): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let record = R::show(&neutron, &caller, &id).await?;
    let item = listing::select(
        one_view::<R>(&neutron, &caller, record).await?,
        query.as_deref().unwrap_or_default(),
    );
    Ok(axum::Json(keyed(R::SINGULAR, item)).into_response())
}

async fn update<R: Updatable>(
    State(neutron): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let object = body::update(&body, R::SINGULAR)?;
    body::only_known(&object, R::ATTRIBUTES)?;
    body::not_in_put(&object, R::READ_ONLY)?;
    if object.contains_key("tenant_id") || object.contains_key("project_id") {
        return Err(NeutronError::bad_request(
            "Cannot update read-only attribute project_id",
        ));
    }
    let update = R::parse_update(&object)?;
    let record = R::update(&neutron, &caller, &id, update, body::if_match(&headers)?).await?;
    let item = one_view::<R>(&neutron, &caller, record).await?;
    Ok(axum::Json(keyed(R::SINGULAR, item)).into_response())
}

async fn delete<R: Resource>(
    State(neutron): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    R::delete(&neutron, &caller, &id, body::if_match(&headers)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Create, list, show and delete for `R`.
pub fn routes<R: Creatable>() -> OpenApiRouter<AppState> {
    served::<R>(Some(post(create::<R>)), None)
}

/// Create, list, show, update and delete for `R`.
pub fn updatable_routes<R: Creatable + Updatable>() -> OpenApiRouter<AppState> {
    served::<R>(Some(post(create::<R>)), Some(put(update::<R>)))
}

/// List, show, update and delete for `R`, whose members the API does not
/// create (they register themselves).
pub fn managed_routes<R: Updatable>() -> OpenApiRouter<AppState> {
    served::<R>(None, Some(put(update::<R>)))
}

fn served<R: Resource>(
    post: Option<MethodRouter<AppState>>,
    put: Option<MethodRouter<AppState>>,
) -> OpenApiRouter<AppState> {
    let member_path = format!("{}/{{{}_id}}", R::PATH, R::SINGULAR);
    let doc = document::<R>(&member_path, post.is_some(), put.is_some());
    let mut member = get(show::<R>).delete(delete::<R>);
    if let Some(put) = put {
        member = member.merge(put);
    }
    let mut collection = get(list::<R>);
    if let Some(post) = post {
        collection = collection.merge(post);
    }
    OpenApiRouter::with_openapi(doc)
        .route(R::PATH, collection)
        .route(&member_path, member)
}

/// The OpenAPI operations of `R`'s routes.
fn document<R: Resource>(member_path: &str, creatable: bool, updatable: bool) -> OpenApi {
    let one = R::SINGULAR.replace('_', " ");
    let many = R::PLURAL.replace('_', " ");
    let operation = |id: String, summary: String, member: bool, body: bool, codes: &[u16]| {
        let mut op = OperationBuilder::new()
            .operation_id(Some(id))
            .summary(Some(summary))
            .tag(R::TAG);
        if member {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(format!("{}_id", R::SINGULAR))
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .build(),
            );
        }
        if body {
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .description(Some(format!("{{\"{}\": {{...}}}}", R::SINGULAR)))
                    .build(),
            ));
        }
        for code in codes {
            op = op.response(
                code.to_string(),
                ResponseBuilder::new()
                    .description(status_text(*code))
                    .build(),
            );
        }
        op.build()
    };
    let item = |method: HttpMethod, op: Operation| PathItem::new(method, op);
    let mut collection = item(
        HttpMethod::Get,
        operation(
            format!("list_{}", R::PLURAL),
            format!("List {many}"),
            false,
            false,
            &[200, 400],
        ),
    );
    if creatable {
        collection.post = Some(operation(
            format!("create_{}", R::SINGULAR),
            format!("Create a {one} (or several, in bulk)"),
            false,
            true,
            &[201, 400, 403, 404, 409],
        ));
    }
    let mut member = item(
        HttpMethod::Get,
        operation(
            format!("show_{}", R::SINGULAR),
            format!("Show a {one}"),
            true,
            false,
            &[200, 404],
        ),
    );
    member.delete = Some(operation(
        format!("delete_{}", R::SINGULAR),
        format!("Delete a {one}"),
        true,
        false,
        &[204, 404, 409, 412],
    ));
    if updatable {
        member.put = Some(operation(
            format!("update_{}", R::SINGULAR),
            format!("Update a {one}"),
            true,
            true,
            &[200, 400, 403, 404, 409, 412],
        ));
    }
    let mut paths = Paths::new();
    paths.paths.insert(R::PATH.to_string(), collection);
    paths.paths.insert(member_path.to_string(), member);
    OpenApiBuilder::new().paths(paths).build()
}

fn status_text(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created",
        204 => "Deleted",
        400 => "Bad request",
        403 => "Forbidden",
        404 => "Not found",
        409 => "Conflict",
        412 => "Revision mismatch",
        _ => "Other",
    }
}
