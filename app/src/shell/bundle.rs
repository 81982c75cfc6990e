//! The links to the bundle (stylesheet, JS, wasm) and the islands' loader,
//! with the file names worked out once at start. Leptos's
//! `HashedStylesheet` and `HydrationScripts` read `hash.txt` (and look up
//! the binary's path) on every render: ~5% of a page's CPU in the profile.
//! `island_script.js` is Leptos 0.8.23's own loader (MIT), unchanged; a
//! test renders both ways and compares (`shell_renders_what_leptos_would`).

use leptos::prelude::*;

/// The bundle's file names without extension, e.g. `eventurl.3fa9…`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleNames {
    pub css: String,
    pub js: String,
    pub wasm: String,
}

impl BundleNames {
    /// From the build's `hash.txt` (`js: …`, `wasm: …`, `css: …` lines), or
    /// the plain names of an unhashed build.
    pub fn new(output_name: &str, hashes: Option<&str>) -> Self {
        let mut names = Self {
            css: output_name.to_owned(),
            js: output_name.to_owned(),
            wasm: output_name.to_owned(),
        };
        for (file, hash) in hashes
            .unwrap_or_default()
            .lines()
            .filter_map(|line| line.trim().split_once(':'))
        {
            let name = match file.trim() {
                "css" => &mut names.css,
                "js" => &mut names.js,
                "wasm" => &mut names.wasm,
                _ => continue,
            };
            name.push('.');
            name.push_str(hash.trim());
        }
        names
    }
}

/// `<link rel="stylesheet">` for the bundle's CSS.
#[component]
pub fn BundleStylesheet(bundle: BundleNames, pkg_path: String) -> impl IntoView {
    view! { <link id="leptos" rel="stylesheet" href=format!("/{pkg_path}/{}.css", bundle.css)/> }
}

/// What `HydrationScripts` renders in islands mode: preload hints for the
/// JS and wasm, and the loader that hydrates the islands when idle.
#[component]
pub fn IslandScripts(bundle: BundleNames, pkg_path: String) -> impl IntoView {
    const LOADER: &str = include_str!("island_script.js");
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    let nonce = leptos::nonce::use_nonce();
    let crossorigin = nonce
        .as_ref()
        .map(|n| Oco::Counted(n.as_inner().clone()))
        .unwrap_or(Oco::Borrowed(""));
    let root = "";
    view! {
        <link rel="modulepreload" href=format!("/{pkg_path}/{}.js", bundle.js) crossorigin=nonce.clone()/>
        <link
            rel="preload"
            href=format!("/{pkg_path}/{}.wasm", bundle.wasm)
            r#as="fetch"
            r#type="application/wasm"
            crossorigin=crossorigin
        />
        <script type="module" nonce=nonce>
            {format!("{LOADER}({root:?}, {pkg_path:?}, {:?}, {:?}, false);", bundle.js, bundle.wasm)}
        </script>
    }
}

#[cfg(test)]
mod tests {
    use super::{BundleNames, IslandScripts};
    use leptos::prelude::*;

    /// The vendored loader stays Leptos's own: the same HTML as
    /// `HydrationScripts` in islands mode (an unhashed build, no nonce).
    #[cfg(feature = "ssr")]
    #[test]
    fn shell_renders_what_leptos_would() {
        let owner = Owner::new();
        owner.set();
        let options = LeptosOptions::builder().output_name("eventurl").build();
        let theirs = view! { <HydrationScripts options islands=true/> }.to_html();
        let ours = view! {
            <IslandScripts bundle=BundleNames::new("eventurl", None) pkg_path="pkg".to_owned()/>
        }
        .to_html();
        assert!(ours.contains("hydrateIslands"), "{ours}");
        assert_eq!(ours, theirs);
    }

    #[test]
    fn names_carry_each_files_hash_or_none() {
        let hashed = BundleNames::new("eventurl", Some("js: aaa\nwasm: bbb\ncss: ccc\n"));
        assert_eq!(
            hashed,
            BundleNames {
                css: "eventurl.ccc".into(),
                js: "eventurl.aaa".into(),
                wasm: "eventurl.bbb".into(),
            }
        );
        let plain = BundleNames::new("eventurl", None);
        assert_eq!(plain.js, "eventurl");
        assert_eq!(plain.wasm, "eventurl");
    }
}
