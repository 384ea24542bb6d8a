use std::path::Path;

use super::*;

fn inline(text: &str) -> RuleSource {
    RuleSource::Inline {
        text: text.to_string(),
        origin: "/etc/nginx/nginx.conf".into(),
        line: 40,
    }
}

#[test]
fn quoting_continuations_and_comments() {
    let text = "# comment\n\
                SecRule REQUEST_HEADERS:user \"@streq admin\" \\\n    \"id:1,msg:'a \\\"quoted\\\" word'\"\n\
                \n\
                SecAction 'id:2,pass'\n";
    let directives = load(&[inline(text)]).unwrap();
    assert_eq!(directives.len(), 2);
    assert_eq!(directives[0].name, "SecRule");
    assert_eq!(
        directives[0].args,
        vec![
            "REQUEST_HEADERS:user",
            "@streq admin",
            "id:1,msg:'a \"quoted\" word'"
        ]
    );
    assert_eq!(directives[0].span.line, 41);
    assert_eq!(directives[1].args, vec!["id:2,pass"]);
    assert_eq!(directives[1].span.line, 44);
}

#[test]
fn regex_backslashes_are_kept() {
    let directives = load(&[inline(r#"SecRule ARGS "@rx \d+\s\"x" "id:1""#)]).unwrap();
    assert_eq!(directives[0].args[1], r#"@rx \d+\s"x"#);
}

#[test]
fn action_lists_split_outside_quotes() {
    let actions =
        split_actions("id:1, phase:1,deny,msg:'a, b: c',t:none,t:lowercase,setvar:'tx.x=+1'")
            .unwrap();
    let names: Vec<_> = actions
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_deref()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("id", Some("1")),
            ("phase", Some("1")),
            ("deny", None),
            ("msg", Some("a, b: c")),
            ("t", Some("none")),
            ("t", Some("lowercase")),
            ("setvar", Some("tx.x=+1")),
        ]
    );
}

#[test]
fn includes_follow_globs_relative_to_the_including_file() {
    let dir = std::env::temp_dir().join(format!("secrules-include-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::write(
        dir.join("main.conf"),
        "Include rules/*.conf\nSecAction \"id:9\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("rules/b.conf"), "SecAction \"id:2\"\n").unwrap();
    std::fs::write(dir.join("rules/a.conf"), "\nSecAction \"id:1\"\n").unwrap();
    std::fs::write(dir.join("rules/skip.txt"), "SecAction \"id:3\"\n").unwrap();
    let directives = load(&[RuleSource::File(dir.join("main.conf"))]).unwrap();
    let found: Vec<(String, usize)> = directives
        .iter()
        .map(|d| {
            (
                Path::new(&*d.span.file)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                d.span.line,
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("a.conf".into(), 2),
            ("b.conf".into(), 1),
            ("main.conf".into(), 2)
        ]
    );

    std::fs::write(
        dir.join("broken.conf"),
        "SecAction \"id:1\"\nInclude missing.conf\n",
    )
    .unwrap();
    let error = load(&[RuleSource::File(dir.join("broken.conf"))]).unwrap_err();
    assert!(
        error.file.ends_with("broken.conf") && error.line == 2,
        "{error}"
    );
    assert!(error.reason.contains("missing.conf"), "{error}");
    let _ = std::fs::remove_dir_all(&dir);
}
