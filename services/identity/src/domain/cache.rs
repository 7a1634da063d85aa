use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::tokens::{ResolvedScope, TokenInfo};

/// Validations kept (least recently and frequently used go first). A miss costs a
/// decryption and cached lookups, no database, so this stays small.
const TOKEN_CAPACITY: u64 = 4_096;
/// Resolved (user, scope) grants kept; shared by all tokens of a user on a scope.
const SCOPE_CAPACITY: u64 = 10_000;
/// Rendered per-project catalogs kept.
const CATALOG_CAPACITY: u64 = 10_000;

/// Validated tokens and derived read models, all dropped at once whenever anything
/// is written here or by another identity process (see `Identity::changed`), so a
/// cached answer is never staler than the revision poll interval.
pub struct Cache {
    generation: AtomicU64,
    tokens: moka::sync::Cache<String, Arc<TokenInfo>>,
    /// Who a user is on a scope (roles included), shared by all their tokens on it,
    /// so re-scoping and new tokens skip the database.
    scopes: moka::sync::Cache<String, Arc<ResolvedScope>>,
    /// The catalog rendered for each project (`""`: no project).
    catalogs: moka::sync::Cache<String, Arc<str>>,
    derived: RwLock<Derived>,
}

#[derive(Default)]
struct Derived {
    generation: u64,
    catalog: Option<Arc<serde_json::Value>>,
    implied: Option<Arc<Vec<(String, String)>>>,
    domain_roles: Option<Arc<std::collections::HashSet<String>>>,
    directory: Option<Arc<super::directory::Directory>>,
}

impl Cache {
    pub fn new(max_age: Duration) -> Self {
        Cache {
            generation: AtomicU64::new(0),
            tokens: moka::sync::Cache::builder()
                .max_capacity(TOKEN_CAPACITY)
                .time_to_live(max_age)
                .build(),
            scopes: moka::sync::Cache::builder()
                .max_capacity(SCOPE_CAPACITY)
                .time_to_live(max_age)
                .build(),
            catalogs: moka::sync::Cache::builder()
                .max_capacity(CATALOG_CAPACITY)
                .time_to_live(max_age)
                .build(),
            derived: RwLock::new(Derived::default()),
        }
    }

    /// Drops everything cached.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.tokens.invalidate_all();
        self.scopes.invalidate_all();
        self.catalogs.invalidate_all();
    }

    pub fn token(&self, token: &str) -> Option<Arc<TokenInfo>> {
        self.tokens.get(token)
    }

    /// Caches a validation made at `generation` unless a write happened since.
    pub fn put_token(&self, generation: u64, token: &str, info: Arc<TokenInfo>) {
        if self.generation() == generation {
            self.tokens.insert(token.to_string(), info);
        }
    }

    pub fn scope(&self, key: &str) -> Option<Arc<ResolvedScope>> {
        self.scopes.get(key)
    }

    /// Caches a resolution made at `generation` unless a write happened since.
    pub fn put_scope(&self, generation: u64, key: String, resolved: Arc<ResolvedScope>) {
        if self.generation() == generation {
            self.scopes.insert(key, resolved);
        }
    }

    pub fn project_catalog(&self, project_id: &str) -> Option<Arc<str>> {
        self.catalogs.get(project_id)
    }

    /// Caches a catalog rendered at `generation` unless a write happened since.
    pub fn put_project_catalog(&self, generation: u64, project_id: &str, rendered: Arc<str>) {
        if self.generation() == generation {
            self.catalogs.insert(project_id.to_string(), rendered);
        }
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    fn read<T: Clone>(&self, pick: impl Fn(&Derived) -> Option<T>) -> Option<T> {
        let derived = self.derived.read().expect("cache lock");
        (derived.generation == self.generation())
            .then(|| pick(&derived))
            .flatten()
    }

    fn write(&self, generation: u64, store: impl FnOnce(&mut Derived)) {
        let mut derived = self.derived.write().expect("cache lock");
        if derived.generation != generation {
            *derived = Derived {
                generation,
                ..Derived::default()
            };
        }
        if generation == self.generation() {
            store(&mut derived);
        }
    }

    pub fn catalog(&self) -> Option<Arc<serde_json::Value>> {
        self.read(|d| d.catalog.clone())
    }

    pub fn put_catalog(&self, generation: u64, catalog: Arc<serde_json::Value>) {
        self.write(generation, |d| d.catalog = Some(catalog));
    }

    pub fn directory(&self) -> Option<Arc<super::directory::Directory>> {
        self.read(|d| d.directory.clone())
    }

    pub fn put_directory(&self, generation: u64, directory: Arc<super::directory::Directory>) {
        self.write(generation, |d| d.directory = Some(directory));
    }

    pub fn implied(&self) -> Option<Arc<Vec<(String, String)>>> {
        self.read(|d| d.implied.clone())
    }

    pub fn put_implied(&self, generation: u64, rules: Arc<Vec<(String, String)>>) {
        self.write(generation, |d| d.implied = Some(rules));
    }

    pub fn domain_roles(&self) -> Option<Arc<std::collections::HashSet<String>>> {
        self.read(|d| d.domain_roles.clone())
    }

    pub fn put_domain_roles(&self, generation: u64, ids: Arc<std::collections::HashSet<String>>) {
        self.write(generation, |d| d.domain_roles = Some(ids));
    }
}
