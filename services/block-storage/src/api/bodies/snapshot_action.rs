//! The body of `POST /snapshots/{id}/action`.

use serde_json::Value;

use super::schema_error;
use crate::domain::snapshot_actions::SnapshotAction;
use crate::domain::{CinderError, Result};

/// Every snapshot status os-reset_status accepts.
const STATUSES: &[&str] = &[
    "error",
    "available",
    "creating",
    "deleting",
    "deleted",
    "updating",
    "error_deleting",
    "unmanaging",
    "backing-up",
    "restoring",
];

/// The fields of an action body, none but `allowed`, `status` required.
fn status_of<'a>(action: &str, args: &'a Value, allowed: &[&str]) -> Result<&'a str> {
    let Some(fields) = args.as_object() else {
        return Err(schema_error(
            action,
            args,
            &format!("{args} is not of type 'object'"),
        ));
    };
    if let Some(extra) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(schema_error(
            action,
            args,
            &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
        ));
    }
    match fields.get("status") {
        Some(Value::String(status)) => Ok(status),
        Some(other) => Err(schema_error(
            "status",
            other,
            &format!("{other} is not of type 'string'"),
        )),
        None => Err(schema_error(
            action,
            args,
            "'status' is a required property",
        )),
    }
}

/// `NN%` with NN from 0 to 100.
fn check_progress(progress: &str) -> Result<()> {
    let invalid = |why: &str| CinderError::BadRequest(format!("Invalid input received: {why}"));
    let number = progress
        .strip_suffix('%')
        .unwrap_or(progress)
        .parse::<i64>()
        .map_err(|_| invalid("progress must be an integer percentage"))?;
    if !progress.ends_with('%') || !(0..=100).contains(&number) {
        return Err(invalid(
            "progress must be an integer percentage between 0 and 100",
        ));
    }
    Ok(())
}

/// The action a body asks for.
pub(in crate::api) fn parse(body: &Value) -> Result<SnapshotAction> {
    let Some((name, args)) = body.as_object().and_then(|o| o.iter().next()) else {
        return Err(CinderError::BadRequest("Malformed request body".into()));
    };
    match name.as_str() {
        "os-reset_status" => {
            let status = status_of(name, args, &["status"])?.to_ascii_lowercase();
            if !STATUSES.contains(&status.as_str()) {
                return Err(CinderError::BadRequest(format!(
                    "Snapshot status: {status} is invalid, valid statuses are: ('{}').",
                    STATUSES.join("', '")
                )));
            }
            Ok(SnapshotAction::ResetStatus { status })
        }
        "os-force_delete" => {
            if body.as_object().is_some_and(|o| o.len() > 1) {
                return Err(CinderError::BadRequest("Malformed request body".into()));
            }
            Ok(SnapshotAction::ForceDelete)
        }
        "os-update_snapshot_status" => update_status(args),
        other => Err(CinderError::BadRequest(format!(
            "There is no such action: {other}. Verify the request body and Content-Type header and try again."
        ))),
    }
}

/// An os-update_snapshot_status body.
fn update_status(args: &Value) -> Result<SnapshotAction> {
    let status = status_of("os-update_snapshot_status", args, &["status", "progress"])?;
    let progress = match args.get("progress") {
        None => None,
        Some(Value::String(progress)) => {
            check_progress(progress)?;
            Some(progress.clone())
        }
        Some(other) => {
            return Err(schema_error(
                "progress",
                other,
                &format!("{other} is not of type 'string'"),
            ))
        }
    };
    Ok(SnapshotAction::UpdateStatus {
        status: status.to_string(),
        progress,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_a_percentage() {
        assert!(check_progress("0%").is_ok() && check_progress("100%").is_ok());
        assert_eq!(
            check_progress("abc").unwrap_err().to_string(),
            "Invalid input received: progress must be an integer percentage"
        );
        for bad in ["150%", "50", "-1%"] {
            assert_eq!(
                check_progress(bad).unwrap_err().to_string(),
                "Invalid input received: progress must be an integer percentage between 0 and 100"
            );
        }
    }
}
