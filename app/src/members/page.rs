//! Company → Administrators (the members with role and last sign-in, the
//! invite form, open invitations; role changes and removal behind a
//! confirmation) and the public invitation page. Plain forms: it all
//! works without JavaScript. A viewer sees the list, no control.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    api::{invitation_state, list_members},
    model::{AcceptEcho, InvitationLink, InvitationView, MemberView, MembersEcho},
    INVITATION_HOURS,
};
use crate::{
    activity::LocalTime,
    copy_button::ShownOnce,
    data_table::DataTable,
    domain::Role,
    form_echo::form_echo,
    layout::{CompanyLayout, CompanyTab},
    paths::{
        INVITATION, LOGIN, MEMBERS, MEMBERS_INVITE, MEMBERS_REMOVE, MEMBERS_REQUIRE_TWO_FACTOR,
        MEMBERS_REVOKE_INVITATION, MEMBERS_ROLE,
    },
    time_text::utc_minutes,
};

#[component]
pub fn MembersView() -> impl IntoView {
    let query = use_query_map();
    let notice = move || {
        query.with(|q| {
            if let Some(name) = q.get("removed") {
                Some(format!(
                    "{name} was removed: their sessions and API tokens have ended."
                ))
            } else if q.get("changed").is_some() {
                Some("Role changed: it holds from their next click on.".to_owned())
            } else if let Some(required) = q.get("two_factor") {
                Some(if required == "true" {
                    "Two-factor sign-in is now required: members without it are asked to set it up before anything else.".to_owned()
                } else {
                    "Two-factor sign-in is no longer required.".to_owned()
                })
            } else if q.get("revoked").is_some() {
                Some("Invitation revoked: its link no longer works.".to_owned())
            } else {
                None
            }
        })
    };
    let data = Resource::new_blocking(|| (), |_| list_members());
    let echo = form_echo::<MembersEcho>().unwrap_or_default();
    view! {
        <Title text="Administrators · Company · eventurl"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let echo = echo.clone();
                Suspend::new(async move {
                    match data.await {
                        Ok(page) => {
                            let manage = page.may_manage;
                            view! {
                                <CompanyLayout tenant=page.tenant_name.clone() username=page.admin_username.clone() tab=CompanyTab::Members>
                                    <p class="tab-intro">
                                        "The people who can sign in to manage this company. "
                                        <strong>"Administrators"</strong>
                                        " change settings, delivery, test events, redelivery, API tokens and people; "
                                        <strong>"Viewers"</strong>
                                        " see settings, activity and deliveries and change nothing."
                                    </p>
                                    {(!manage).then(|| view! {
                                        <p class="notice" role="status">"Your role is Viewer: you can see who has access, but only an administrator can invite, change or remove people."</p>
                                    })}
                                    {notice().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                                    {echo.message.clone().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                                    {echo.invited.clone().map(|(link, invitation)| view! { <NewInvitation link invitation/> })}
                                    <MemberTable members=page.members.clone() manage/>
                                    <RequireTwoFactor required=page.require_two_factor manage/>
                                    {manage.then(|| view! { <InviteForm role=echo.role.clone() email=echo.email.clone() mail_on=page.mail_on/> })}
                                    <PendingTable pending=page.pending.clone() manage/>
                                </CompanyLayout>
                            }
                            .into_any()
                        }
                        Err(e) => crate::layout::load_failed(e, MEMBERS),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn NewInvitation(link: String, invitation: InvitationView) -> impl IntoView {
    let to = match &invitation.email {
        Some(address) => format!("The link is on its way to {address}"),
        None => "Send this link to the person you are inviting".to_owned(),
    };
    view! {
        <ShownOnce
            id="invitation-link"
            title=format!("Invitation for a new {} created", invitation.role.label().to_lowercase())
            label="Invitation link"
            message=format!("{to}; it works once, for {INVITATION_HOURS} hours, and is shown only now (only a hash is kept). Whoever opens it chooses a username and password and joins as {}.", invitation.role.label())
            value=link
        />
    }
}

#[component]
fn InviteForm(role: String, email: String, mail_on: bool) -> impl IntoView {
    let chosen = Role::parse(&role).unwrap_or(Role::Viewer);
    view! {
        <section class="create-token" aria-labelledby="invite-title">
            <h2 id="invite-title">"Invite someone"</h2>
            <form method="post" action=MEMBERS_INVITE>
                <fieldset class="field">
                    <legend>"Role"</legend>
                    {Role::ALL
                        .map(|r| {
                            let id = format!("invite-role-{}", r.as_str());
                            let label_for = id.clone();
                            view! {
                                <label for=label_for class="choice">
                                    <input id=id type="radio" name="role" value=r.as_str() checked=r == chosen/>
                                    <strong>{r.label()}</strong>
                                    {format!(": {}", r.description())}
                                </label>
                            }
                        })}
                </fieldset>
                {mail_on.then(|| view! {
                    <div class="field">
                        <label for="invite-email">"Email address (optional)"</label>
                        <input id="invite-email" name="email" type="email" autocomplete="off"
                            maxlength="254" value=email aria-describedby="invite-email-hint"/>
                        <p class="hint" id="invite-email-hint">"We email the link there, and it becomes their address for password resets and notices. Leave it empty to send the link yourself."</p>
                    </div>
                })}
                <button type="submit">"Create invitation link"</button>
            </form>
        </section>
    }
}

#[component]
fn MemberTable(members: Vec<MemberView>, manage: bool) -> impl IntoView {
    let mut columns = vec!["Username", "Role", "Last sign-in", "Two-factor"];
    columns.extend(manage.then_some("Change"));
    view! {
        <DataTable label="Members" class="tokens" columns>
            {members.into_iter().map(|m| view! { <MemberRow member=m manage/> }).collect_view()}
        </DataTable>
    }
}

#[component]
fn MemberRow(member: MemberView, manage: bool) -> impl IntoView {
    let m = member;
    let name = if m.is_you {
        format!("{} (you)", m.username)
    } else {
        m.username.clone()
    };
    let last = match &m.last_signed_in_at {
        Some(at) => view! { <LocalTime utc=at.clone()/> }.into_any(),
        None => view! { "Never" }.into_any(),
    };
    let controls = manage.then(|| {
        if m.is_you {
            return view! { <span class="hint">"Another administrator can change your role."</span> }.into_any();
        }
        let other = match m.role {
            Role::Administrator => Role::Viewer,
            Role::Viewer => Role::Administrator,
        };
        let id = m.id.to_string();
        view! {
            <details class="revoke">
                <summary>{format!("Make {}…", other.label().to_lowercase())}</summary>
                <form method="post" action=MEMBERS_ROLE>
                    <input type="hidden" name="id" value=id.clone()/>
                    <input type="hidden" name="role" value=other.as_str()/>
                    <p>{format!("Make {} a {}? {} This holds from their next click on and is recorded in Activity.", m.username, other.label().to_lowercase(), other.description())}</p>
                    <button type="submit">{format!("Make {} {}", m.username, other.label().to_lowercase())}</button>
                </form>
            </details>
            <details class="revoke">
                <summary>"Remove…"</summary>
                <form method="post" action=MEMBERS_REMOVE>
                    <input type="hidden" name="id" value=id/>
                    <p>{format!("Remove {}? They are signed out everywhere at once and their API tokens stop working. This is recorded in Activity.", m.username)}</p>
                    <button type="submit" class="danger">{format!("Remove {}", m.username)}</button>
                </form>
            </details>
        }
        .into_any()
    });
    view! {
        <tr>
            <th scope="row">{name}</th>
            <td>{m.role.label()}</td>
            <td>{last}</td>
            <td>{if m.two_factor { "On" } else { "Off" }}</td>
            {controls.map(|c| view! { <td>{c}</td> })}
        </tr>
    }
}

#[component]
fn RequireTwoFactor(required: bool, manage: bool) -> impl IntoView {
    if !manage {
        let said = if required {
            "Two-factor sign-in is required for everyone in this company."
        } else {
            "Two-factor sign-in is up to each member."
        };
        return view! { <p class="hint">{said}</p> }.into_any();
    }
    view! {
        <form method="post" action=MEMBERS_REQUIRE_TWO_FACTOR class="require-two-factor">
            <div class="field checkbox">
                <input id="require-two-factor" name="required" type="checkbox" value="on" checked=required aria-describedby="require-two-factor-hint"/>
                <label for="require-two-factor">"Require two-factor sign-in for everyone"</label>
                <p class="hint" id="require-two-factor-hint">"Members without it are asked to set it up (in My account) before anything else, from their next click on."</p>
            </div>
            <button type="submit">"Save"</button>
        </form>
    }
    .into_any()
}

#[component]
fn PendingTable(pending: Vec<InvitationView>, manage: bool) -> impl IntoView {
    if pending.is_empty() {
        return view! { <p class="empty">"No open invitations."</p> }.into_any();
    }
    let mut columns = vec!["Link", "Role", "Created", "Expires"];
    columns.extend(manage.then_some("Revoke"));
    view! {
        <h2>"Open invitations"</h2>
        <DataTable label="Open invitations" class="tokens" columns>
                    {pending
                        .into_iter()
                        .map(|i| {
                            let revoke = manage.then(|| view! {
                                <td>
                                    <form method="post" action=MEMBERS_REVOKE_INVITATION>
                                        <input type="hidden" name="id" value=i.id.to_string()/>
                                        <button type="submit" class="danger">{format!("Revoke link {}", i.id)}</button>
                                    </form>
                                </td>
                            });
                            view! {
                                <tr>
                                    <th scope="row">{match &i.email { Some(a) => format!("Link {} (emailed to {a})", i.id), None => format!("Link {}", i.id) }}</th>
                                    <td>{i.role.label()}</td>
                                    <td><LocalTime utc=i.created_at.clone()/>{format!(" by {}", i.created_by)}</td>
                                    <td><LocalTime utc=i.expires_at.clone()/></td>
                                    {revoke}
                                </tr>
                            }
                        })
                        .collect_view()}
                </DataTable>
    }
    .into_any()
}

/// `/invitation?token=…`: whom the link is for and the form to join, or
/// that it no longer works.
#[component]
pub fn InvitationPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let state = Resource::new_blocking(token, invitation_state);
    let echo = form_echo::<AcceptEcho>().unwrap_or_default();
    view! {
        <Title text="Join · eventurl"/>
        <main class="auth-page">
            <div class="auth-card">
                <p class="brand" aria-hidden="true">"eventurl"</p>
                <h1>"Join your company"</h1>
                <Suspense fallback=|| ()>
                    {move || {
                        let echo = echo.clone();
                        Suspend::new(async move {
                            match state.await {
                                Ok(InvitationLink::Open { tenant_name, role, invited_by, expires_at }) => {
                                    let action = format!("{INVITATION}?token={}", token());
                                    let failed = !echo.message.is_empty();
                                    view! {
                                        <p class="lead">
                                            {format!("{invited_by} invited you to {tenant_name} as {} ({}). The link works until {}.", role.label(), role.description(), utc_minutes(&expires_at))}
                                        </p>
                                        {failed.then(|| view! { <p class="form-error" role="alert" id="join-error">{echo.message.clone()}</p> })}
                                        <form method="post" action=action class="stack">
                                            <div class="field">
                                                <label for="join-username">"Username"</label>
                                                <input id="join-username" name="username" type="text"
                                                    autocomplete="username" required minlength="3" maxlength="64"
                                                    value=echo.username.clone()
                                                    aria-invalid=failed.then_some("true")
                                                    aria-describedby=if failed { "join-error join-username-hint" } else { "join-username-hint" }/>
                                                <p class="hint" id="join-username-hint">"3 to 64 letters, digits and . _ - @; you sign in with it."</p>
                                            </div>
                                            <div class="field">
                                                <label for="join-password">"Password"</label>
                                                <input id="join-password" name="password" type="password"
                                                    autocomplete="new-password" required minlength="12" maxlength="128"
                                                    aria-invalid=failed.then_some("true")
                                                    aria-describedby=if failed { "join-error join-password-hint" } else { "join-password-hint" }/>
                                                <p class="hint" id="join-password-hint">"At least 12 characters, not a common or guessable one: a few unusual words together work well."</p>
                                            </div>
                                            <button type="submit" class="primary">"Join"</button>
                                        </form>
                                    }
                                    .into_any()
                                }
                                Ok(InvitationLink::Closed) => view! {
                                    <p class="form-error" role="alert">{super::model::INVITATION_CLOSED}</p>
                                    <p><a href=LOGIN>"Sign in"</a>" if you already have an account."</p>
                                }
                                .into_any(),
                                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                            }
                        })
                    }}
                </Suspense>
            </div>
        </main>
    }
}
