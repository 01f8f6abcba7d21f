//! CSV rendering for exports: RFC 4180 quoting, spreadsheet-formula neutralising, UTC times.

use std::fmt::Write;

/// Appends `field` quoted as needed. Text that a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@`, tab, CR at the start) is prefixed with `'`: affiliate names and
/// references come from outside the merchant.
pub fn push_text(line: &mut String, field: &str) {
    let guarded = field.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = guarded || field.contains([',', '"', '\n', '\r']);
    if quote {
        line.push('"');
        if guarded {
            line.push('\'');
        }
        line.push_str(&field.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(field);
    }
}

/// Appends a number (never quoted, never guarded: a negative amount stays a number).
pub fn push_int(line: &mut String, n: i64) {
    let _ = write!(line, "{n}");
}

/// UTC epoch milliseconds as ISO 8601, e.g. `2026-11-21T09:30:00.000Z`.
pub fn iso_utc(ms: i64) -> String {
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (year, month, day) = super::calendar::civil_from_days(days);
    let (h, m, s, milli) = (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60, ms_of_day / 1_000 % 60, ms_of_day % 1_000);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        let mut l = String::new();
        push_text(&mut l, s);
        l
    }

    #[test]
    fn quotes_and_neutralises() {
        assert_eq!(text("plain"), "plain");
        assert_eq!(text("a,b"), "\"a,b\"");
        assert_eq!(text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(text("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(text("-1+1"), "\"'-1+1\"");
        let mut l = String::new();
        push_int(&mut l, -250);
        assert_eq!(l, "-250");
    }

    #[test]
    fn formats_utc_times() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_utc(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso_utc(1_795_253_445_123), "2026-11-21T09:30:45.123Z");
        assert_eq!(iso_utc(-1), "1969-12-31T23:59:59.999Z");
    }
}
