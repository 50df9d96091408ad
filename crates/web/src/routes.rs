//! The table of routes the router is built from. Every module lists its routes through
//! `Routes`, which adds each to the axum router and remembers its method and path, so that
//! `postern_web::routes()` is the router's own list: the authorization matrix
//! (tests/it/matrix.rs) is generated from it, and a route added without an entry there fails.

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::MethodRouter;

use crate::state::AppState;

/// One route: a method and a path pattern as axum reads it (`/team/reports/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    /// GET or POST (a GET route also answers HEAD).
    pub method: Method,
    /// The path pattern, with `{name}` for each parameter.
    pub path: &'static str,
}

/// Routes as they are added: the axum router and the table beside it.
pub(crate) struct Routes {
    router: Router<AppState>,
    table: Vec<Route>,
}

impl Routes {
    pub(crate) fn new() -> Routes {
        Routes {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    /// A GET route.
    pub(crate) fn get<H, T>(self, path: &'static str, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.route(path, &[Method::GET], axum::routing::get(handler))
    }

    /// A POST route.
    pub(crate) fn post<H, T>(self, path: &'static str, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.route(path, &[Method::POST], axum::routing::post(handler))
    }

    /// A path whose method router was built by hand (to give it a layer of its own): `methods`
    /// must be those it answers, which the matrix test checks.
    pub(crate) fn route(
        mut self,
        path: &'static str,
        methods: &[Method],
        method_router: MethodRouter<AppState>,
    ) -> Routes {
        self.router = self.router.route(path, method_router);
        self.table.extend(methods.iter().map(|method| Route {
            method: method.clone(),
            path,
        }));
        self
    }

    /// These routes and `other`'s.
    pub(crate) fn merge(mut self, other: Routes) -> Routes {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    /// The routes so far with the router changed by `f` (a layer over all of them); `f` must
    /// add no route.
    pub(crate) fn map(mut self, f: impl FnOnce(Router<AppState>) -> Router<AppState>) -> Routes {
        self.router = f(self.router);
        self
    }

    pub(crate) fn into_parts(self) -> (Router<AppState>, Vec<Route>) {
        (self.router, self.table)
    }
}
