use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};

use super::{
    passwords, Actor, DomainInput, EndpointInput, Error, Identity, ProjectInput, RegionInput,
    Result, RoleInput, ServiceInput, Target, UserInput,
};

/// What `ferrostack-identity bootstrap` sets up (`keystone-manage bootstrap` options).
#[derive(Debug, Clone)]
pub struct Bootstrap {
    pub username: String,
    pub password: String,
    pub project_name: String,
    pub role_name: String,
    pub service_name: String,
    pub region_id: String,
    pub public_url: Option<String>,
    pub internal_url: Option<String>,
    pub admin_url: Option<String>,
}

impl Bootstrap {
    /// `keystone-manage bootstrap`'s defaults with `password` for user `admin`.
    pub fn admin(password: &str, public_url: Option<String>) -> Self {
        Bootstrap {
            username: "admin".into(),
            password: password.into(),
            project_name: "admin".into(),
            role_name: "admin".into(),
            service_name: "keystone".into(),
            region_id: "RegionOne".into(),
            public_url,
            internal_url: None,
            admin_url: None,
        }
    }
}

/// The default roles and what each implies (admin ⊃ manager ⊃ member ⊃ reader), as
/// `keystone-manage bootstrap` creates them since 2023.2.
const DEFAULT_ROLES: [&str; 5] = ["admin", "manager", "member", "reader", "service"];
const IMPLICATIONS: [(&str, &str); 3] = [
    ("admin", "manager"),
    ("manager", "member"),
    ("member", "reader"),
];

impl Identity {
    /// Idempotently creates the default domain, default roles, the admin project and
    /// user with admin on the project and the system, and the identity catalog entry.
    /// An existing admin user gets the given password.
    pub async fn bootstrap(&self, b: &Bootstrap) -> Result<()> {
        let domain_id = self.cfg.default_domain_id.clone();
        if self.get_domain(&domain_id).await.is_err() {
            self.create_domain(DomainInput {
                id: Some(domain_id.clone()),
                name: Some("Default".into()),
                description: Some("The default domain".into()),
                enabled: Some(true),
                ..DomainInput::default()
            })
            .await?;
        }
        let mut role_names: Vec<&str> = DEFAULT_ROLES.to_vec();
        if !role_names.contains(&b.role_name.as_str()) {
            role_names.push(&b.role_name);
        }
        for name in role_names {
            self.ensure_role(name).await?;
        }
        for (prior, implied) in IMPLICATIONS {
            let prior = self.find_global_role_by_name(prior).await?;
            let implied = self.find_global_role_by_name(implied).await?;
            self.create_implied_role(&prior.id, &implied.id).await?;
        }
        // Clouds bootstrapped before the manager persona had admin ⊃ member directly.
        let admin = self.find_global_role_by_name("admin").await?;
        let member = self.find_global_role_by_name("member").await?;
        match self.delete_implied_role(&admin.id, &member.id).await {
            Ok(()) | Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        let project = match self.find_project_by_name(&b.project_name, &domain_id).await {
            Ok(project) => project,
            Err(_) => {
                self.create_project(ProjectInput {
                    name: Some(b.project_name.clone()),
                    domain_id: Some(domain_id.clone()),
                    description: Some("Bootstrap project for initializing the cloud.".into()),
                    ..ProjectInput::default()
                })
                .await?
                .row
            }
        };
        let user = match self.find_user_by_name(&b.username, &domain_id).await {
            Ok(user) => {
                let current = user.password_hash.clone().unwrap_or_default();
                if !passwords::verify(b.password.clone(), current).await? {
                    let hash =
                        passwords::hash(b.password.clone(), self.cfg.password_hash_rounds).await?;
                    let mut row = user.clone().into_active_model();
                    row.password_hash = Set(Some(hash));
                    row.password_created_at = Set(Some(chrono::Utc::now().naive_utc()));
                    row.enabled = Set(true);
                    row.update(&self.store.db).await?;
                    self.changed().await?;
                }
                user
            }
            Err(_) => {
                // The bootstrap password is the operator's own: it is not one to
                // change at first use, nor one to expire under them.
                let options = serde_json::json!({
                    "ignore_change_password_upon_first_use": true,
                    "ignore_password_expiry": true,
                });
                self.create_user(UserInput {
                    name: Some(b.username.clone()),
                    domain_id: Some(domain_id.clone()),
                    password: Some(Some(b.password.clone())),
                    options: options.as_object().cloned(),
                    ..UserInput::default()
                })
                .await?
            }
        };
        let admin = self.find_global_role_by_name(&b.role_name).await?;
        let actor = Actor::User(user.id.clone());
        self.create_grant(
            &actor,
            &Target::Project(project.id.clone()),
            &admin.id,
            false,
        )
        .await?;
        self.create_grant(&actor, &Target::System, &admin.id, false)
            .await?;
        self.create_grant(&actor, &Target::Domain(domain_id), &admin.id, false)
            .await?;
        if self.get_region(&b.region_id).await.is_err() {
            self.create_region(RegionInput {
                id: Some(b.region_id.clone()),
                ..RegionInput::default()
            })
            .await?;
        }
        let urls = [
            ("public", &b.public_url),
            ("internal", &b.internal_url),
            ("admin", &b.admin_url),
        ];
        if urls.iter().any(|(_, url)| url.is_some()) {
            self.ensure_catalog_entry("identity", &b.service_name, &b.region_id, &urls)
                .await?;
        }
        Ok(())
    }

    async fn ensure_role(&self, name: &str) -> Result<()> {
        match self.find_global_role_by_name(name).await {
            Ok(_) => Ok(()),
            Err(Error::NotFound { .. }) => self
                .create_role(RoleInput {
                    name: Some(name.to_string()),
                    ..RoleInput::default()
                })
                .await
                .map(drop),
            Err(e) => Err(e),
        }
    }

    /// Creates or updates the service of `kind` named `name` and its endpoints in
    /// `region_id`, so re-running bootstrap after a port change fixes the catalog.
    pub async fn ensure_catalog_entry(
        &self,
        kind: &str,
        name: &str,
        region_id: &str,
        urls: &[(&str, &Option<String>)],
    ) -> Result<()> {
        let service = match self
            .list_services(Some(kind), Some(name))
            .await?
            .into_iter()
            .next()
        {
            Some(service) => service,
            None => {
                let mut extra = serde_json::Map::new();
                extra.insert("name".into(), name.into());
                self.create_service(ServiceInput {
                    kind: Some(kind.to_string()),
                    enabled: Some(true),
                    extra,
                })
                .await?
            }
        };
        let existing = self
            .list_endpoints(Some(&service.id), None, Some(region_id))
            .await?;
        for (interface, url) in urls {
            let Some(url) = url else { continue };
            match existing.iter().find(|e| e.interface == *interface) {
                Some(endpoint) if endpoint.url == *url => {}
                Some(endpoint) => {
                    self.update_endpoint(
                        &endpoint.id,
                        EndpointInput {
                            url: Some(url.clone()),
                            ..EndpointInput::default()
                        },
                    )
                    .await?;
                }
                None => {
                    self.create_endpoint(EndpointInput {
                        service_id: Some(service.id.clone()),
                        interface: Some(interface.to_string()),
                        url: Some(url.clone()),
                        region_id: Some(region_id.to_string()),
                        enabled: Some(true),
                        ..EndpointInput::default()
                    })
                    .await?;
                }
            }
        }
        Ok(())
    }
}
