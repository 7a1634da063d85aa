//! The files `ferrostack up` writes for clients: `clouds.yaml` and `openrc`.

use std::path::Path;

/// How clients reach identity as the admin user.
pub struct AdminAccess<'a> {
    pub auth_url: &'a str,
    pub password: &'a str,
}

pub fn clouds_yaml(access: &AdminAccess) -> String {
    format!(
        "clouds:\n  ferrostack:\n    auth:\n      auth_url: {}\n      username: admin\n      password: '{}'\n      project_name: admin\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: RegionOne\n    interface: public\n    identity_api_version: 3\n",
        access.auth_url,
        access.password.replace('\'', "''")
    )
}

pub fn openrc(access: &AdminAccess) -> String {
    format!(
        "export OS_AUTH_URL={}\nexport OS_USERNAME=admin\nexport OS_PASSWORD='{}'\nexport OS_PROJECT_NAME=admin\nexport OS_USER_DOMAIN_NAME=Default\nexport OS_PROJECT_DOMAIN_NAME=Default\nexport OS_REGION_NAME=RegionOne\nexport OS_INTERFACE=public\nexport OS_IDENTITY_API_VERSION=3\n",
        access.auth_url,
        access.password.replace('\'', "'\\''")
    )
}

/// Writes both files into `dir` with mode 0600 (they hold the password).
pub fn write_all(dir: &Path, access: &AdminAccess) -> std::io::Result<()> {
    for (name, content) in [
        ("clouds.yaml", clouds_yaml(access)),
        ("openrc", openrc(access)),
    ] {
        crate::private::write(&dir.join(name), content.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_odd_passwords() {
        let access = AdminAccess {
            auth_url: "http://127.0.0.1:5000/v3",
            password: "it's",
        };
        assert!(clouds_yaml(&access).contains("password: 'it''s'"));
        assert!(openrc(&access).contains("OS_PASSWORD='it'\\''s'"));
    }
}
