//! OpenAPI 3.1 at `/api/openapi.json` and the Swagger UI at `/api/docs`, both served from the
//! binary (the UI's assets are vendored at build time; no CDN).

use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::AppState;
use crate::api;

#[derive(OpenApi)]
#[openapi(
    info(title = "medcrm API", description = "Hospital sales and after-sales service for medical-device companies."),
    paths(
        api::health::healthz, api::health::readyz,
        api::auth::login, api::auth::logout, api::auth::me,
        api::auth::tokens, api::auth::create_token, api::auth::revoke_token,
        api::org::list_users, api::org::get_user, api::org::create_user, api::org::update_user,
        api::org::reset_password, api::org::list_regions, api::org::create_region, api::org::rename_region,
        api::calendar::year, api::calendar::set_day, api::calendar::clear_day, api::calendar::set_hours,
        api::calendar::due,
        api::audit::list,
    ),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn routes() -> Router<AppState> {
    Router::from(SwaggerUi::new("/api/docs").url("/api/openapi.json", ApiDoc::openapi()))
}
