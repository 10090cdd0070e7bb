use super::*;
use chrono::TimeZone;

fn refr() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 3, 0, 0, 0).unwrap()
}

#[test]
fn classic_and_rfc3339_times() {
    assert_eq!(
        parse_time("Mar  2 13:05:01", refr()),
        Some(Utc.with_ymd_and_hms(2026, 3, 2, 13, 5, 1).unwrap())
    );
    // December seen in January is last year.
    let jan = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap();
    assert_eq!(
        parse_time("Dec 31 23:59:59", jan),
        Some(Utc.with_ymd_and_hms(2025, 12, 31, 23, 59, 59).unwrap())
    );
    assert_eq!(
        parse_time("2026-03-02T13:05:31.482913+01:00", refr()),
        Some(Utc.with_ymd_and_hms(2026, 3, 2, 12, 5, 31).unwrap() + Duration::microseconds(482913))
    );
    assert_eq!(parse_time("Foo  2 13:05:01", refr()), None);
}

#[test]
fn lines() {
    let l = b"Mar  2 13:10:02 mx1 postfix/smtp[24101]: 3449C23E79: to=<ops@contoso.com>, relay=contoso-com.mail.protection.outlook.com[192.0.2.56]:25, delay=301, delays=300/0.01/0.4/0.2, dsn=4.7.500, status=deferred (host contoso-com.mail.protection.outlook.com[192.0.2.56] said: 451 4.7.500 Server busy. Please try again later from [198.51.100.7]. (AS761) [BN8NAM11FT012.eop-nam11.prod.protection.outlook.com] (in reply to RCPT TO command))";
    let r = parse_line(l, refr()).unwrap();
    assert_eq!(r.qid, "3449C23E79");
    assert_eq!(r.program, "smtp");
    match r.kind {
        PfKind::Delivery {
            to,
            status,
            reply,
            dsn,
            delay_ms,
            loopback,
            ..
        } => {
            assert_eq!(to, "ops@contoso.com");
            assert_eq!(status, "deferred");
            assert_eq!(dsn, "4.7.500");
            assert_eq!(delay_ms, Some(301_000));
            assert!(!loopback);
            assert!(reply.starts_with("451 4.7.500 Server busy."), "{reply}");
            assert!(reply.ends_with("prod.protection.outlook.com]"), "{reply}");
        }
        k => panic!("{k:?}"),
    }
    assert!(
        parse_line(
            b"Mar  2 13:05:01 mx1 postfix/smtpd[24011]: connect from a[1.2.3.4]",
            refr()
        )
        .is_none()
    );
    assert!(
        parse_line(
            b"Mar  2 13:05:01 mx1 postfix/smtpd[1]: warning: hostname x does not resolve",
            refr()
        )
        .is_none()
    );
    assert!(parse_line(b"Mar  2 13:05:01 mx1 sshd[1]: ABC123: x", refr()).is_none());
    let q = parse_line(
        b"Mar  2 13:20:00 mx1 postfix/qmgr[1668]: 5D6E7F8091: from=<newsletter@contoso.com>, status=expired, returned to sender",
        refr(),
    )
    .unwrap();
    assert_eq!(
        q.kind,
        PfKind::Expired {
            from: "newsletter@contoso.com".into()
        }
    );
    let nq = parse_line(
        b"Mar  2 13:12:44 mx1 postfix/smtpd[24140]: NOQUEUE: reject: RCPT from unknown[198.51.100.99]: 450 4.7.25 Client host rejected: cannot find your hostname, [198.51.100.99]; from=<x@spam.example> to=<ops@contoso.com> proto=ESMTP helo=<spam.example>",
        refr(),
    )
    .unwrap();
    assert_eq!(
        nq.kind,
        PfKind::Reject {
            action: RejectAction::Reject,
            reply: "450 4.7.25 Client host rejected: cannot find your hostname, [198.51.100.99]"
                .into(),
            from: Some("x@spam.example".into()),
            to: Some("ops@contoso.com".into())
        }
    );
    let s = parse_line(
        b"Mar  2 13:05:01 mx1 postfix/cleanup[9]: 3449C23E79: info: header Subject: Nightly batch from mail.fabrikam.com[203.0.113.10]; from=<a@b> to=<c@d> proto=ESMTP helo=<x>",
        refr(),
    )
    .unwrap();
    assert_eq!(
        s.kind,
        PfKind::Header {
            subject: Some("Nightly batch".into()),
            from: Some("a@b".into())
        }
    );
}

#[test]
fn postscreen_cleanup_and_milter_rejects() {
    let ps = parse_line(
        b"Mar  2 13:12:50 mx1 postfix/postscreen[811]: NOQUEUE: reject: RCPT from [198.51.100.20]:51234: 550 5.7.1 Service unavailable; client [198.51.100.20] blocked using zen.spamhaus.org; from=<bulk@spam.example>, to=<ops@contoso.com>, proto=ESMTP, helo=<spam.example>",
        refr(),
    )
    .unwrap();
    assert_eq!(
        ps.kind,
        PfKind::Reject {
            action: RejectAction::Reject,
            reply: "550 5.7.1 Service unavailable; client [198.51.100.20] blocked using zen.spamhaus.org".into(),
            from: Some("bulk@spam.example".into()),
            to: Some("ops@contoso.com".into())
        }
    );
    let hc = parse_line(
        b"Mar  2 13:13:00 mx1 postfix/cleanup[24015]: 9A8B7C6D5E: reject: header Subject: You won!!! from unknown[198.51.100.30]; from=<win@spam.example> to=<hr@contoso.com> proto=ESMTP helo=<x>: 5.7.1 Message content rejected",
        refr(),
    )
    .unwrap();
    assert_eq!(
        hc.kind,
        PfKind::Reject {
            action: RejectAction::Reject,
            reply: "5.7.1 Message content rejected".into(),
            from: Some("win@spam.example".into()),
            to: Some("hr@contoso.com".into())
        }
    );
    let mh = parse_line(
        b"Mar  2 13:14:00 mx1 postfix/cleanup[24015]: 1B2C3D4E5F: milter-hold: END-OF-MESSAGE from mail.fabrikam.com[203.0.113.10]: milter triggers HOLD action; from=<a@fabrikam.com> to=<b@contoso.com> proto=ESMTP helo=<mail.fabrikam.com>",
        refr(),
    )
    .unwrap();
    assert!(
        matches!(&mh.kind, PfKind::Reject { action: RejectAction::Hold, reply, .. } if reply == "milter triggers HOLD action"),
        "{:?}",
        mh.kind
    );
}

#[test]
fn content_filter_hops_and_amavis() {
    let hop = parse_line(
        b"Mar  2 13:05:02 mx1 postfix/smtp[24020]: 3449C23E79: to=<ops@contoso.com>, relay=127.0.0.1[127.0.0.1]:10024, delay=1.3, delays=0.1/0/0/1.2, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 5B2D1E0A8F)",
        refr(),
    )
    .unwrap();
    match &hop.kind {
        PfKind::Delivery {
            loopback,
            queued_as,
            ..
        } => {
            assert!(*loopback);
            assert_eq!(queued_as.as_deref(), Some("5B2D1E0A8F"));
        }
        k => panic!("{k:?}"),
    }
    let raw = b"Mar  2 13:05:02 mx1 amavis[2345]: (02345-01) Passed CLEAN {RelayedInbound}, [203.0.113.10]:41234 [203.0.113.10] <alerts@fabrikam.com> -> <ops@contoso.com>,<hr@contoso.com>, Queue-ID: 3449C23E79, Message-ID: <CAF3x9Qm1=Zk@mail.fabrikam.com>, mail_id: dR8bXwq0yQ2s, Hits: -1.1, size: 45678, queued_as: 5B2D1E0A8F, 1204 ms";
    let h = head(raw).unwrap();
    assert_eq!(h.qid, Some(&b"3449C23E79"[..]));
    assert_eq!(link_of(&h), Some(&b"5B2D1E0A8F"[..]));
    let a = parse_line(raw, refr()).unwrap();
    assert_eq!(
        a.kind,
        PfKind::Amavis(Amavis {
            passed: true,
            category: "CLEAN".into(),
            from: Some("alerts@fabrikam.com".into()),
            to: vec!["ops@contoso.com".into(), "hr@contoso.com".into()],
            message_id: Some("<CAF3x9Qm1=Zk@mail.fabrikam.com>".into()),
            queued_as: Some("5B2D1E0A8F".into()),
        })
    );
    let blocked = parse_line(
        b"Mar  2 13:06:00 mx1 amavis[2346]: (02346-01) Blocked INFECTED (Eicar-Signature) {DiscardedInbound,Quarantined}, [198.51.100.40]:50123 [198.51.100.40] <> -> <ops@contoso.com>, quarantine: virus-Xy12.gz, Queue-ID: 7C3D2E1F0A, Message-ID: <v@x>, mail_id: Xy12, Hits: -, size: 900, 88 ms",
        refr(),
    )
    .unwrap();
    match blocked.kind {
        PfKind::Amavis(a) => {
            assert!(!a.passed);
            assert_eq!(a.category, "INFECTED (Eicar-Signature)");
            assert_eq!(a.from.as_deref(), Some(""));
            assert_eq!(a.queued_as, None);
        }
        k => panic!("{k:?}"),
    }
    assert!(is_loopback("localhost[::1]:10024"));
    assert!(!is_loopback("mail.contoso.com[private/dovecot-lmtp]"));
    assert!(!is_loopback("mx.fabrikam.com[203.0.113.7]:25"));
}

#[test]
fn what_a_loopback_relay_means() {
    let effect = |line: &str| {
        let rec = parse_line(line.as_bytes(), refr()).unwrap();
        let file = Arc::new(PathBuf::from("mail.log"));
        let ev = to_event(rec, 0, &file, 1, line.as_bytes());
        (ev.effect, ev.weak, ev.link.is_some())
    };
    let head = "Mar  3 10:00:01 mx1 postfix/lmtp[3140]: 6F7E8D9C0B: to=<a@contoso.com>, relay=127.0.0.1[127.0.0.1]";
    // Dovecot LMTP on localhost: delivered.
    assert_eq!(
        effect(&format!(
            "{head}:24, delay=0.08, dsn=2.0.0, status=sent (250 2.0.0 <a@contoso.com> 0HkqLm Saved)"
        )),
        (Effect::Delivered, false, false)
    );
    // amavis: re-queued (a hop), discarded as spam, discarded as a virus, bounced.
    assert_eq!(
        effect(&format!(
            "{head}:10024, delay=1, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 5B2D1E0A8F)"
        )),
        (Effect::Progress, true, true)
    );
    assert_eq!(
        effect(&format!("{head}:10024, delay=1, dsn=2.7.0, status=sent (250 2.7.0 Ok, discarded, id=02203-01 - spam)")).0,
        Effect::Spam
    );
    assert_eq!(
        effect(&format!("{head}:10024, delay=1, dsn=2.7.0, status=sent (250 2.7.0 Ok, discarded, id=02204-01 - INFECTED: Eicar)")).0,
        Effect::Quarantined
    );
    assert_eq!(
        effect(&format!(
            "{head}:10024, delay=1, dsn=2.5.0, status=sent (250 2.5.0 Ok, id=02205-01, BOUNCE)"
        ))
        .0,
        Effect::Failed
    );
}

#[test]
fn reply_simplification() {
    assert_eq!(
        simplify_reply("host x[1.2.3.4] said: 550 5.1.1 nope (in reply to RCPT TO command)"),
        "550 5.1.1 nope"
    );
    assert_eq!(
        simplify_reply("connect to x[1.2.3.4]:25: Connection timed out"),
        "connect to x[1.2.3.4]:25: Connection timed out"
    );
}
