//! The IMAP URL, `--imap-after`, and the small pure parts of the fetcher; the fetcher against a
//! real server is in `mail_in/against_dovecot.rs`.

use super::*;

#[test]
fn imap_urls_parse_with_their_defaults_and_show_as_they_parse() {
    // (input, shown as, tls, user, host, port, mailbox)
    let cases = [
        (
            "imaps://security@mail.example.org",
            "imaps://security@mail.example.org:993/INBOX",
            Tls::Implicit,
            "security",
            "mail.example.org",
            993,
            "INBOX",
        ),
        (
            "imaps://me%40example.org@mail.example.org:1993/Reports",
            "imaps://me%40example.org@mail.example.org:1993/Reports",
            Tls::Implicit,
            "me@example.org",
            "mail.example.org",
            1993,
            "Reports",
        ),
        (
            "imap://security@mail.example.org/",
            "imap://security@mail.example.org:143/INBOX",
            Tls::StartTls,
            "security",
            "mail.example.org",
            143,
            "INBOX",
        ),
        (
            "imap://security@127.0.0.1:1430/INBOX?tls=none",
            "imap://security@127.0.0.1:1430/INBOX?tls=none",
            Tls::None,
            "security",
            "127.0.0.1",
            1430,
            "INBOX",
        ),
        (
            "imap://security@localhost/Security%20Reports?tls=none",
            "imap://security@localhost:143/Security%20Reports?tls=none",
            Tls::None,
            "security",
            "localhost",
            143,
            "Security Reports",
        ),
        (
            "imap://security@[::1]:1430/?tls=none",
            "imap://security@[::1]:1430/INBOX?tls=none",
            Tls::None,
            "security",
            "::1",
            1430,
            "INBOX",
        ),
        (
            "imaps://security@mail.example.org/Lists.Security",
            "imaps://security@mail.example.org:993/Lists.Security",
            Tls::Implicit,
            "security",
            "mail.example.org",
            993,
            "Lists.Security",
        ),
    ];
    for (input, shown, tls, user, host, port, mailbox) in cases {
        let url: ImapUrl = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(
            (url.tls(), url.user(), url.host(), url.port(), url.mailbox()),
            (tls, user, host, port, mailbox),
            "{input}"
        );
        assert_eq!(url.to_string(), shown);
        assert_eq!(format!("{url:?}"), format!("ImapUrl({shown})"));
        assert_eq!(shown.parse::<ImapUrl>().unwrap(), url, "{shown} reads back");
    }
}

#[test]
fn bad_imap_urls_say_what_is_wrong_without_repeating_a_password() {
    let long = format!(
        "imaps://u@mail.example.org/{}hunter2",
        "a".repeat(URL_BYTES_MAX)
    );
    let cases = [
        ("imaps://u:hunter2@mail.example.org/", "holds a password"),
        ("imap://u:hunter2@127.0.0.1/?tls=none", "holds a password"),
        (
            "https://u:hunter2@mail.example.org/",
            "must start with imaps://",
        ),
        ("imap://u@mail.example.org/?tls=none", "loopback"),
        ("imap://u@10.0.0.1/?tls=none", "loopback"),
        ("imaps://u@127.0.0.1/?tls=none", "contradicts imaps://"),
        (
            "imaps://u@mail.example.org/?password=hunter2",
            "unknown IMAP URL option \"password\"",
        ),
        ("imaps://mail.example.org/", "names no user"),
        ("imaps://u@:993/", "empty host"),
        ("imaps://u@mail.example.org:0/", "port 0"),
        ("imaps://u@mail.example.org/Entw%C3%BCrfe", "modified UTF-7"),
        ("imaps://u@mail.example.org/a%0Ab", "control character"),
        ("imaps://u%0Ahunter2@mail.example.org/", "control character"),
        ("imaps://u%FFhunter2@mail.example.org/", "percent-encoded"),
        ("imaps://u@mail.example.org/#hunter2", "fragment"),
        ("hunter2", "does not parse"),
        ("imaps://u@mail.example.org:99999/hunter2", "does not parse"),
        (long.as_str(), "longer than"),
    ];
    for (input, says) in cases {
        let error = input
            .parse::<ImapUrl>()
            .expect_err(&format!("{input} is refused"));
        assert!(error.contains(says), "{input}: {error}");
        assert!(!error.contains("hunter2"), "{input}: {error}");
    }
}

#[test]
fn the_url_length_limit_is_a_limit() {
    let prefix = "imaps://u@mail.example.org/";
    let at_limit = format!("{prefix}{}", "a".repeat(URL_BYTES_MAX - prefix.len()));
    assert!(at_limit.parse::<ImapUrl>().is_ok());
    let over = format!("{at_limit}a");
    assert!(over.parse::<ImapUrl>().is_err());
}

#[test]
fn after_is_flag_move_or_delete() {
    for (input, after) in [
        ("flag", After::Flag),
        ("delete", After::Delete),
        ("move:Postern", After::Move("Postern".into())),
        (
            "move:Archive.Reports",
            After::Move("Archive.Reports".into()),
        ),
    ] {
        assert_eq!(input.parse::<After>().unwrap(), after);
        assert_eq!(after.to_string(), input);
    }
    for (input, says) in [
        ("move:", "needs a folder"),
        ("move:Entwürfe", "modified UTF-7"),
        ("keep", "flag, move:FOLDER or delete"),
    ] {
        let error = input.parse::<After>().unwrap_err();
        assert!(error.contains(says), "{input}: {error}");
    }
}

#[test]
fn debug_shows_neither_a_password_nor_a_message() {
    let secret = Secret::new("hunter2".into());
    assert_eq!(format!("{secret:?}"), "Secret(***)");
    let fetched = Fetched {
        uid: 7,
        raw: b"Subject: CANARY\r\n\r\nCANARY".to_vec(),
        internal_date: None,
        size_bytes: 25,
        headers_only: false,
    };
    let shown = format!("{fetched:?}");
    assert!(
        shown.contains("uid: 7") && shown.contains("raw_bytes: 25"),
        "{shown}"
    );
    assert!(!shown.contains("CANARY"), "{shown}");
    let options = ImapOptions::default();
    assert!(!format!("{options:?}").is_empty());
}

#[test]
fn async_imap_traces_of_commands_and_answers_are_compiled_out() {
    // async-imap logs LOGIN (with the password) and every answer (messages) at trace level.
    const { assert!(matches!(log::STATIC_MAX_LEVEL, log::LevelFilter::Debug)) };
}

#[test]
fn errors_quote_the_server_but_neither_raw_answers_nor_refused_characters() {
    assert_eq!(
        server_words("code: None, info: Some(\"[AUTHENTICATIONFAILED] Authentication failed.\")"),
        "[AUTHENTICATIONFAILED] Authentication failed."
    );
    assert_eq!(server_words("plain words"), "plain words");
    let long = "x".repeat(QUOTED_CHARS_MAX + 10);
    assert_eq!(server_words(&long).chars().count(), QUOTED_CHARS_MAX + 3);
    let parse = ImapError::Io(std::io::Error::other(
        "Error(..) during parsing of \"* 1 FETCH (BODY[] {6}\r\nCANARY)\"",
    ));
    assert!(!describe(&parse).contains("CANARY"));
    let validate = ImapError::Validate(async_imap::error::ValidateError('\n'));
    assert!(!describe(&validate).contains('\n'));
    let secret = Secret::new("hunter2".into());
    assert_eq!(redact("a hunter2 b", &secret), "a *** b");
    assert_eq!(redact("a b", &Secret::new(String::new())), "a b");
}

#[test]
fn uid_sets_are_written_as_ranges() {
    assert_eq!(uid_set(&[]), "");
    assert_eq!(uid_set(&[4]), "4");
    assert_eq!(uid_set(&[1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
    assert_eq!(
        uid_set(&[u32::MAX - 1, u32::MAX]),
        format!("{}:{}", u32::MAX - 1, u32::MAX)
    );
    assert_eq!(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
}

#[test]
fn retry_pauses_double_up_to_their_limit() {
    let (min, max) = (Duration::from_secs(1), Duration::from_secs(10));
    let pauses: Vec<u64> = [1, 2, 3, 4, 5, 40, u32::MAX]
        .into_iter()
        .map(|attempt| retry_pause(min, max, attempt).as_secs())
        .collect();
    assert_eq!(pauses, [1, 2, 4, 8, 10, 10, 10]);
    let mut retries = Retries::default();
    let now = Instant::now();
    let options = ImapOptions {
        retry_min: min,
        retry_max: max,
        ..ImapOptions::default()
    };
    assert!(retries.is_due(3, now));
    assert_eq!(retries.failed(3, now, &options), min);
    assert!(!retries.is_due(3, now));
    assert!(retries.is_due(3, now + min));
    assert_eq!(retries.next_due(), Some(now + min));
    retries.keep_only(&HashSet::from([4]));
    assert_eq!(retries.next_due(), None);
}
