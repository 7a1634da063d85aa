//! The oslo.policy grammar: `not` binds tighter than `and`, which binds tighter than
//! `or`; parentheses group; an empty rule always passes.

use crate::Check;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    Atom(String),
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    for raw in text.split_whitespace() {
        let mut word = raw;
        while let Some(rest) = word.strip_prefix('(') {
            tokens.push(Token::Open);
            word = rest;
        }
        let mut closes = 0;
        while let Some(rest) = word.strip_suffix(')') {
            // A `)` that closes a `%(...)s` substitution belongs to the atom.
            if rest.contains("%(") && !rest.contains(")s") && rest.ends_with('s') {
                break;
            }
            closes += 1;
            word = rest;
        }
        if !word.is_empty() {
            tokens.push(match word.to_ascii_lowercase().as_str() {
                "and" => Token::And,
                "or" => Token::Or,
                "not" => Token::Not,
                _ => Token::Atom(word.to_string()),
            });
        }
        tokens.extend(std::iter::repeat_n(Token::Close, closes));
    }
    tokens
}

/// Parses a check string; the error says what is wrong.
pub fn parse(text: &str) -> Result<Check, String> {
    let tokens = tokenize(text);
    if tokens.is_empty() {
        return Ok(Check::Always);
    }
    let mut position = 0;
    let check = parse_or(&tokens, &mut position)?;
    if position != tokens.len() {
        return Err(format!(
            "unexpected token at position {position} in '{text}'"
        ));
    }
    Ok(check)
}

fn parse_or(tokens: &[Token], pos: &mut usize) -> Result<Check, String> {
    let mut items = vec![parse_and(tokens, pos)?];
    while tokens.get(*pos) == Some(&Token::Or) {
        *pos += 1;
        items.push(parse_and(tokens, pos)?);
    }
    Ok(if items.len() == 1 {
        items.remove(0)
    } else {
        Check::Or(items)
    })
}

fn parse_and(tokens: &[Token], pos: &mut usize) -> Result<Check, String> {
    let mut items = vec![parse_not(tokens, pos)?];
    while tokens.get(*pos) == Some(&Token::And) {
        *pos += 1;
        items.push(parse_not(tokens, pos)?);
    }
    Ok(if items.len() == 1 {
        items.remove(0)
    } else {
        Check::And(items)
    })
}

fn parse_not(tokens: &[Token], pos: &mut usize) -> Result<Check, String> {
    if tokens.get(*pos) == Some(&Token::Not) {
        *pos += 1;
        return Ok(Check::Not(Box::new(parse_not(tokens, pos)?)));
    }
    parse_atom(tokens, pos)
}

fn parse_atom(tokens: &[Token], pos: &mut usize) -> Result<Check, String> {
    match tokens.get(*pos) {
        Some(Token::Open) => {
            *pos += 1;
            let inner = parse_or(tokens, pos)?;
            if tokens.get(*pos) != Some(&Token::Close) {
                return Err("missing ')'".into());
            }
            *pos += 1;
            Ok(inner)
        }
        Some(Token::Atom(atom)) => {
            *pos += 1;
            atom_check(atom)
        }
        other => Err(format!("expected a check, found {other:?}")),
    }
}

fn atom_check(atom: &str) -> Result<Check, String> {
    match atom {
        "@" => return Ok(Check::Always),
        "!" => return Ok(Check::Never),
        _ => {}
    }
    let (kind, value) = atom
        .split_once(':')
        .ok_or_else(|| format!("'{atom}' is not a check (expected kind:value)"))?;
    let value = value.trim_matches(|c| c == '\'' || c == '"').to_string();
    match kind {
        "role" => Ok(Check::Role(value)),
        "rule" => Ok(Check::Rule(value)),
        "http" | "https" => Err(format!("'{atom}': http checks are not supported")),
        "field" => {
            let (attribute, value) = value
                .split_once(':')
                .and_then(|(_, rest)| rest.split_once('='))
                .ok_or_else(|| {
                    format!("'{atom}' is not a field check (field:resource:attr=value)")
                })?;
            if let Some(pattern) = value.strip_prefix('~') {
                regex::Regex::new(pattern).map_err(|e| format!("'{atom}': {e}"))?;
            }
            Ok(Check::Field {
                attribute: attribute.to_string(),
                value: value.to_string(),
            })
        }
        _ => Ok(Check::Generic {
            key: kind.to_string(),
            value,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_and_grouping() {
        let check = parse("role:a or role:b and not role:c").unwrap();
        assert_eq!(
            check,
            Check::Or(vec![
                Check::Role("a".into()),
                Check::And(vec![
                    Check::Role("b".into()),
                    Check::Not(Box::new(Check::Role("c".into())))
                ]),
            ])
        );
        let check = parse("(role:reader and system_scope:all) or project_id:%(target.project.id)s")
            .unwrap();
        assert!(matches!(check, Check::Or(ref items) if items.len() == 2));
        assert_eq!(parse("").unwrap(), Check::Always);
        assert_eq!(parse("!").unwrap(), Check::Never);
    }

    #[test]
    fn errors() {
        assert!(parse("(role:a").is_err());
        assert!(parse("role:a or").is_err());
        assert!(parse("http://example.com").is_err());
        assert!(parse("nonsense").is_err());
    }
}
