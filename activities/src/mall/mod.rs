//! 积分商城 I (issue 18 part A): the [`catalogue`] staff keep — categories, tags, navigation bars
//! and banners, review moderation — and its public reads; the suppliers' [`products`] and their
//! listing requests, which the approval process `listing-<request id>` settles. A product's row
//! and its SKUs are its live version: what the catalogue shows and sells. A revision of a listed
//! product waits in its request until approved.

pub mod addresses;
pub mod catalogue;
pub mod orders;
pub mod products;

/// A product's rich description as it is kept and shown: the HTML a supplier wrote with only
/// the tags and attributes of formatted text and images left (ammonia's defaults: no script, no
/// style, no event handlers, `rel="noopener noreferrer"` on links).
pub fn sanitise_description(html: &str) -> String {
    ammonia::clean(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_description_keeps_its_formatting_and_loses_its_scripts() {
        let kept = sanitise_description(
            r#"<p onclick="steal()">好<b>茶</b><script>alert(1)</script><img src="x" onerror="alert(2)"></p><a href="javascript:alert(3)">链接</a>"#,
        );
        assert_eq!(
            kept,
            r#"<p>好<b>茶</b><img src="x"></p><a rel="noopener noreferrer">链接</a>"#
        );
    }
}
