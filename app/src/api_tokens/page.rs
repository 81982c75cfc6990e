//! Company → API tokens: create a token (name, scope, expiry; shown once,
//! with a copy button and how to use it), and the list of the tenant's
//! tokens with who created each, its expiry, when and from where it was
//! last used, and Revoke. Plain forms: it all works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    api::list_api_tokens,
    model::{ApiTokenView, TokenEcho, EXPIRY_DAYS},
    Scope,
};
use crate::{
    activity::LocalTime,
    copy_button::ShownOnce,
    data_table::DataTable,
    domain::Field,
    form_echo::form_echo,
    layout::{CompanyLayout, CompanyTab},
    paths::{API_TOKENS, API_TOKENS_REVOKE},
};

#[component]
pub fn ApiTokensView() -> impl IntoView {
    let query = use_query_map();
    let revoked = move || query.with(|q| q.get("revoked").and_then(|id| id.parse::<i32>().ok()));
    let data = Resource::new_blocking(|| (), |_| list_api_tokens());
    let echo = form_echo::<TokenEcho>();
    view! {
        <Title text="API tokens · Company · eventurl"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let echo = echo.clone();
                Suspend::new(async move {
                    match data.await {
                        Ok(page) => {
                            let manage = crate::layout::may_manage();
                            let revoked_name = revoked().and_then(|id| {
                                page.tokens.iter().find(|t| t.id == id).map(|t| t.name.clone())
                            });
                            view! {
                                <CompanyLayout tenant=page.tenant_name.clone() username=page.admin_username.clone() tab=CompanyTab::ApiTokens>
                                    <p class="tab-intro">
                                        "Tokens let scripts and other systems use eventurl's REST API ("
                                        <code>"/api/v1/…"</code>
                                        ", and PortSIP's "
                                        <code>"/api/tenant"</code>
                                        ") for your company. A token acts in your name: what it changes is recorded in Activity as yours, with the token's name."
                                    </p>
                                    {revoked_name.map(|name| view! {
                                        <p class="notice" role="status">{format!("Token {name:?} revoked: it no longer works.")}</p>
                                    })}
                                    {echo.as_ref().and_then(|e| e.created.clone()).map(|(token, view)| view! { <NewTokenShown token view/> })}
                                    {if manage {
                                        view! { <CreateForm echo=echo.clone()/> }.into_any()
                                    } else {
                                        view! { <p class="notice" role="status">"Your role is Viewer: an administrator creates and revokes tokens."</p> }.into_any()
                                    }}
                                    <TokenTable tokens=page.tokens.clone() manage/>
                                </CompanyLayout>
                            }
                            .into_any()
                        }
                        Err(e) => crate::layout::load_failed(e, API_TOKENS),
                    }
                })
            }}
        </Suspense>
    }
}

/// The new token, this once, with how to use it.
#[component]
fn NewTokenShown(token: String, view: ApiTokenView) -> impl IntoView {
    let example =
        format!("curl -H 'Authorization: Bearer {token}' https://<this server>/api/v1/event-url");
    view! {
        <ShownOnce
            id="new-token"
            title=format!("Token {:?} created", view.name)
            label="New token"
            message="Copy it now and store it in your secret manager: it is shown only this once (only a hash is kept).".to_owned()
            value=token
        >
            <p class="hint">"Use it as a bearer token, for example:"</p>
            <pre class="example"><code>{example.clone()}</code></pre>
        </ShownOnce>
    }
}

#[component]
fn CreateForm(echo: Option<TokenEcho>) -> impl IntoView {
    let echo = echo.filter(|e| e.created.is_none());
    let errors = echo.as_ref().map(|e| e.errors.clone()).unwrap_or_default();
    let message = echo.as_ref().and_then(|e| e.message.clone());
    let name = echo.as_ref().map(|e| e.name.clone()).unwrap_or_default();
    let scope = echo
        .as_ref()
        .map(|e| e.scope.clone())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| Scope::Read.as_str().to_owned());
    let expiry = echo
        .as_ref()
        .map(|e| e.expiry.clone())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "90".to_owned());
    let error_of = |field: Field| errors.get(field).map(str::to_owned);
    let described = |field: Field, error: &Option<String>| {
        error
            .as_ref()
            .map(|_| format!("token-{}-error", field.name()))
    };
    let (name_error, scope_error, expiry_error) = (
        error_of(Field::Name),
        error_of(Field::Scope),
        error_of(Field::Expiry),
    );
    let error_line = |field: Field, error: Option<String>| {
        error.map(
            |e| view! { <p class="field-error" id=format!("token-{}-error", field.name())>{e}</p> },
        )
    };
    view! {
        <section class="create-token" aria-labelledby="create-token-title">
            <h2 id="create-token-title">"Create a token"</h2>
            {message.map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <form method="post" action=API_TOKENS>
                <div class="field">
                    <label for="token-name">"Name"</label>
                    <input
                        id="token-name"
                        name="name"
                        type="text"
                        maxlength="64"
                        required
                        value=name
                        aria-invalid=name_error.is_some().then_some("true")
                        aria-describedby=described(Field::Name, &name_error).unwrap_or_else(|| "token-name-hint".to_owned())
                    />
                    <p class="hint" id="token-name-hint">"What will use it, e.g. “CRM staging” or “secret rotation”."</p>
                    {error_line(Field::Name, name_error.clone())}
                </div>
                <fieldset class="field" aria-describedby=described(Field::Scope, &scope_error)>
                    <legend>"Scope"</legend>
                    {[Scope::Read, Scope::Write]
                        .map(|s| {
                            let id = format!("token-scope-{}", s.as_str());
                            let label_for = id.clone();
                            view! {
                                <label for=label_for class="choice">
                                    <input id=id type="radio" name="scope" value=s.as_str() checked=scope == s.as_str()/>
                                    {s.label()}
                                </label>
                            }
                        })}
                    {error_line(Field::Scope, scope_error.clone())}
                </fieldset>
                <div class="field">
                    <label for="token-expiry">"Expires"</label>
                    <select id="token-expiry" name="expiry" aria-describedby=described(Field::Expiry, &expiry_error)>
                        {EXPIRY_DAYS
                            .map(|d| view! { <option value=d.to_string() selected=expiry == d.to_string()>{format!("In {d} days")}</option> })}
                        <option value="none" selected=expiry == "none">"Never"</option>
                    </select>
                    {error_line(Field::Expiry, expiry_error.clone())}
                </div>
                <button type="submit">"Create token"</button>
            </form>
        </section>
    }
}

#[component]
fn TokenTable(tokens: Vec<ApiTokenView>, manage: bool) -> impl IntoView {
    if tokens.is_empty() {
        return view! { <p class="empty">"No API tokens yet."</p> }.into_any();
    }
    view! {
        <DataTable label="API tokens" class="tokens" columns=vec!["Name", "Scope", "Created", "Expires", "Last used", "Status"]>
                    {tokens.into_iter().map(|t| view! { <TokenRow token=t manage/> }).collect_view()}
                </DataTable>
    }
    .into_any()
}

#[component]
fn TokenRow(token: ApiTokenView, manage: bool) -> impl IntoView {
    let t = token;
    let live = t.revoked_at.is_none() && !t.expired;
    let status = if let Some(at) = &t.revoked_at {
        view! { "Revoked " <LocalTime utc=at.clone()/> }.into_any()
    } else if t.expired {
        view! { "Expired" }.into_any()
    } else if !manage {
        view! { "Active" }.into_any()
    } else {
        let question = format!(
            "Revoke {:?}? Whatever uses it stops working at once. This is recorded in Activity.",
            t.name
        );
        view! {
            <details class="revoke">
                <summary>"Revoke…"</summary>
                <form method="post" action=API_TOKENS_REVOKE>
                    <input type="hidden" name="id" value=t.id.to_string()/>
                    <p>{question}</p>
                    <button type="submit" class="danger">{format!("Revoke {}", t.name)}</button>
                </form>
            </details>
        }
        .into_any()
    };
    let last_used = match (&t.last_used_at, &t.last_used_ip) {
        (Some(at), ip) => view! {
            <LocalTime utc=at.clone()/>
            {ip.clone().map(|ip| format!(" from {ip}"))}
        }
        .into_any(),
        (None, _) => view! { "Never" }.into_any(),
    };
    view! {
        <tr class=(!live).then_some("inactive")>
            <th scope="row">{t.name.clone()}</th>
            <td>{t.scope.label()}</td>
            <td>
                <LocalTime utc=t.created_at.clone()/>
                {t.created_by.clone().map(|by| format!(" by {by}"))}
            </td>
            <td>{match &t.expires_at {
                Some(at) => view! { <LocalTime utc=at.clone()/> }.into_any(),
                None => view! { "Never" }.into_any(),
            }}</td>
            <td>{last_used}</td>
            <td>{status}</td>
        </tr>
    }
}
