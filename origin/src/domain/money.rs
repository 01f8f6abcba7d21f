//! Money for people: an amount in minor units of its currency, written once, here, with the
//! currency's exponent (Stripe's zero- and three-decimal currencies) and a symbol where one is
//! unambiguous. Storage and the API keep integer minor units; only pages call this.

/// Currencies whose minor unit is the major one (Stripe's zero-decimal list).
const ZERO_DECIMAL: [&str; 16] =
    ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"];
/// Currencies with three decimals.
const THREE_DECIMAL: [&str; 5] = ["bhd", "jod", "kwd", "omr", "tnd"];

/// Digits after the decimal point of `currency` (lowercase ISO 4217).
pub fn exponent(currency: &str) -> u32 {
    if ZERO_DECIMAL.contains(&currency) {
        0
    } else if THREE_DECIMAL.contains(&currency) {
        3
    } else {
        2
    }
}

fn symbol(currency: &str) -> Option<&'static str> {
    Some(match currency {
        "usd" => "$",
        "eur" => "€",
        "gbp" => "£",
        "jpy" => "¥",
        "inr" => "₹",
        _ => return None,
    })
}

/// `1234567` usd → `$12,345.67`; `-500` eur → `−€5.00`; `1200` jpy → `¥1,200`; an unknown
/// symbol is written as the code: `1000` chf → `CHF 10.00`.
pub fn format(amount: i64, currency: &str) -> String {
    let exp = exponent(currency);
    let magnitude = amount.unsigned_abs();
    let scale = 10u64.pow(exp);
    let (whole, fraction) = (magnitude / scale, magnitude % scale);
    let digits = whole.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(d);
    }
    if exp > 0 {
        grouped.push('.');
        grouped.push_str(&format!("{fraction:0width$}", width = exp as usize));
    }
    let sign = if amount < 0 { "−" } else { "" };
    match symbol(currency) {
        Some(s) => format!("{sign}{s}{grouped}"),
        None => format!("{sign}{} {grouped}", currency.to_ascii_uppercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_with_their_currency_s_exponent() {
        assert_eq!(format(1_234_567, "usd"), "$12,345.67");
        assert_eq!(format(5, "eur"), "€0.05");
        assert_eq!(format(-500, "eur"), "−€5.00");
        assert_eq!(format(1_200, "jpy"), "¥1,200");
        assert_eq!(format(1_000, "chf"), "CHF 10.00");
        assert_eq!(format(1_234, "kwd"), "KWD 1.234");
        assert_eq!(format(0, "gbp"), "£0.00");
        assert_eq!(format(100_000_000, "usd"), "$1,000,000.00");
        assert_eq!(format(i64::MIN, "usd"), "−$92,233,720,368,547,758.08");
    }
}
