using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Rekey.Contracts;

namespace Rekey.Tests.Console;

/// <summary>
/// The settings page's <c>clientSecretFormat</c> and <c>leakResponse</c> selects over real HTTP (issue #18): what the
/// form chooses is what /api reads back and what the console's Rotate secret then generates; a value the selects do not
/// offer is refused by the same rules as /api, with the same result code, and changes nothing.
/// </summary>
public sealed partial class ConsoleLeakSettingsTests(SqliteServerFixture fixture) : IClassFixture<SqliteServerFixture>, IDisposable
{
    private readonly HttpClient _admin = fixture.Host.CreateAdminClient();
    private readonly List<IDisposable> _disposables = [];

    public void Dispose()
    {
        _admin.Dispose();
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }
    }

    private async Task<ConsoleBrowser> OrganisationAsync()
    {
        var browser = await ConsoleBrowser.SignInAsync(fixture.Host, RekeyHost.AdminToken);
        _disposables.Add(browser);
        return browser;
    }

    private async Task<JsonObject> ServiceAsync(long sid)
    {
        var reply = await _admin.GetForReplyAsync($"/api/{sid}/service/get");
        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        return reply.Json;
    }

    /// <summary>The settings form as the page fills it, with <paramref name="changes"/> in place of the page's values.</summary>
    private static (string Name, string Value)[] SettingsForm(ConsolePage page, params (string Name, string Value)[] changes)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["serviceName"] = page.Field("serviceName"),
            ["clientSecretGracePeriod"] = page.Field("clientSecretGracePeriod"),
            ["clientSecretLifetime"] = page.Field("clientSecretLifetime"),
            ["clientSecretExpiryWarnings"] = page.Field("clientSecretExpiryWarnings"),
            ["accessTokenDuration"] = page.Field("accessTokenDuration"),
            ["supportedScopes"] = page.Field("supportedScopes"),
            ["clientSecretFormat"] = Selected(page, "clientSecretFormat"),
            ["leakResponse"] = Selected(page, "leakResponse"),
        };
        foreach (var (name, value) in changes)
        {
            fields[name] = value;
        }

        return [.. fields.Select(f => (f.Key, f.Value))];
    }

    /// <summary>The values a select offers and the one selected.</summary>
    private static (IReadOnlyList<string> Offered, string Selected) Select(ConsolePage page, string name)
    {
        var select = Regex.Match(page.Html, $"<select[^>]*name=\"{Regex.Escape(name)}\"[^>]*>(.*?)</select>", RegexOptions.Singleline);
        Assert.True(select.Success, $"No select '{name}' on the page: {page}");
        var options = OptionTag().Matches(select.Groups[1].Value);
        var selected = options.Where(o => o.Groups[2].Success).Select(o => o.Groups[1].Value).ToList();
        Assert.True(selected.Count == 1, $"Expected one selected option in '{name}': {select.Value}");
        return ([.. options.Select(o => o.Groups[1].Value)], selected[0]);
    }

    private static string Selected(ConsolePage page, string name) => Select(page, name).Selected;

    [GeneratedRegex("<option value=\"([^\"]*)\"( selected=\"selected\")?")]
    private static partial Regex OptionTag();

    [Fact]
    public async Task choosing_identifiable_and_notify_in_the_settings_form_stores_them_and_rotate_secret_then_makes_an_identifiable_secret()
    {
        var sid = await _admin.CreateServiceAsync();
        var client = await _admin.CreateClientAsync(sid);
        var organisation = await OrganisationAsync();
        var settings = $"/console/services/{sid}";

        var page = await organisation.GetAsync(settings);
        page.AssertStatus(HttpStatusCode.OK);
        var (formats, format) = Select(page, "clientSecretFormat");
        Assert.Equal(SecretFormats.All, formats);
        Assert.Equal(SecretFormats.Authlete, format);
        var (responses, response) = Select(page, "leakResponse");
        Assert.Equal(LeakResponses.All, responses);
        Assert.Equal(LeakResponses.Revoke, response);
        Assert.Contains("<label for=\"secretFormat\">", page.Html, StringComparison.Ordinal);
        Assert.Contains("<label for=\"leakResponse\">", page.Html, StringComparison.Ordinal);
        Assert.Contains($">{SecretFormats.Authlete} (default)</option>", page.Html, StringComparison.Ordinal);
        Assert.Contains($">{LeakResponses.Notify}</option>", page.Html, StringComparison.Ordinal);
        Assert.Contains("aria-describedby=\"leakResponse-hint\"", page.Html, StringComparison.Ordinal);

        // Saving with the defaults as they are leaves the document without them, as /api created it.
        (await organisation.PostAsync(settings, SettingsForm(page))).AssertRedirect(settings + "?notice=settings-saved");
        var untouched = await ServiceAsync(sid);
        Assert.False(untouched.ContainsKey("clientSecretFormat"), untouched.ToJsonString());
        Assert.False(untouched.ContainsKey("leakResponse"), untouched.ToJsonString());

        var saved = await organisation.PostAsync(settings, SettingsForm(await organisation.GetAsync(settings),
            ("clientSecretFormat", SecretFormats.Identifiable), ("leakResponse", LeakResponses.Notify)));

        saved.AssertRedirect(settings + "?notice=settings-saved");
        var stored = await ServiceAsync(sid);
        Assert.Equal(SecretFormats.Identifiable, stored["clientSecretFormat"]?.GetValue<string>());
        Assert.Equal(LeakResponses.Notify, stored["leakResponse"]?.GetValue<string>());
        var shown = await organisation.GetAsync(settings);
        Assert.Equal(SecretFormats.Identifiable, Selected(shown, "clientSecretFormat"));
        Assert.Equal(LeakResponses.Notify, Selected(shown, "leakResponse"));

        var rotated = await organisation.PostAsync($"/console/services/{sid}/clients/{client.ClientId}/rotate", ("gracePeriod", "60"));

        rotated.AssertStatus(HttpStatusCode.OK);
        var secret = rotated.Output("new-secret");
        Assert.True(IdentifiableSecret.IsValid(secret), "The console's Rotate secret did not make a well-formed identifiable secret.");
        Assert.True(string.Equals(secret, await _admin.CurrentSecretAsync(sid, client.ClientId), StringComparison.Ordinal), "/api does not read back the secret the console showed.");
    }

    [Fact]
    public async Task choosing_a_registration_policy_in_the_settings_form_opens_registration_and_the_metadata_announces_it()
    {
        var sid = await _admin.CreateServiceAsync();
        var organisation = await OrganisationAsync();
        var settings = $"/console/services/{sid}";
        var page = await organisation.GetAsync(settings);
        var (policies, policy) = Select(page, "clientRegistrationPolicy");
        Assert.Equal(ClientRegistrationPolicies.All, policies);
        Assert.Equal(ClientRegistrationPolicies.Closed, policy);
        Assert.Contains("<label for=\"registrationPolicy\">", page.Html, StringComparison.Ordinal);

        // Saving the default as it is leaves the document as /api created it.
        (await organisation.PostAsync(settings, SettingsForm(page, ("clientRegistrationPolicy", ClientRegistrationPolicies.Closed)))).AssertRedirect(settings + "?notice=settings-saved");
        Assert.False((await ServiceAsync(sid)).ContainsKey("clientRegistrationPolicy"));

        var saved = await organisation.PostAsync(settings, SettingsForm(await organisation.GetAsync(settings), ("clientRegistrationPolicy", ClientRegistrationPolicies.Open)));
        saved.AssertRedirect(settings + "?notice=settings-saved");
        var stored = await ServiceAsync(sid);
        Assert.Equal((ClientRegistrationPolicies.Open, true), (stored["clientRegistrationPolicy"]?.GetValue<string>(), stored["dynamicRegistrationSupported"]?.GetValue<bool>()));
        Assert.Equal(ClientRegistrationPolicies.Open, Selected(await organisation.GetAsync(settings), "clientRegistrationPolicy"));
        Assert.True((await _admin.GetForReplyAsync($"/oauth2/{sid}/.well-known/openid-configuration")).Has("registration_endpoint"));

        // Closed again from the form (Authlete's flag, left as stored, follows), and a forged policy is refused.
        (await organisation.PostAsync(settings, SettingsForm(await organisation.GetAsync(settings), ("clientRegistrationPolicy", ClientRegistrationPolicies.Closed))))
            .AssertRedirect(settings + "?notice=settings-saved");
        Assert.False((await ServiceAsync(sid))["dynamicRegistrationSupported"]?.GetValue<bool>());
        var forged = await organisation.PostAsync(settings, SettingsForm(await organisation.GetAsync(settings), ("clientRegistrationPolicy", "EVERYONE")));
        forged.AssertRefused(HttpStatusCode.BadRequest, ResultCodes.InvalidRegistrationPolicySetting);
        Assert.Equal(ClientRegistrationPolicies.Closed, (await ServiceAsync(sid))["clientRegistrationPolicy"]?.GetValue<string>());
    }

    [Fact]
    public async Task a_forged_leak_response_or_secret_format_is_refused_with_the_apis_result_code_and_changes_nothing()
    {
        var sid = await _admin.CreateServiceAsync();
        var organisation = await OrganisationAsync();
        var settings = $"/console/services/{sid}";
        var page = await organisation.GetAsync(settings);
        var before = await ServiceAsync(sid);

        var forged = await organisation.PostAsync(settings, SettingsForm(page, ("serviceName", "renamed by a forged form"), ("leakResponse", "DELETE")));

        forged.AssertRefused(HttpStatusCode.BadRequest, ResultCodes.InvalidLeakResponseSetting);
        Assert.Contains(ResultCodes.InvalidLeakResponseSetting.Format(string.Join(", ", LeakResponses.All)), forged.Text, StringComparison.Ordinal);
        Assert.Equal(LeakResponses.Revoke, Selected(forged, "leakResponse"));

        var format = await organisation.PostAsync(settings, SettingsForm(page, ("serviceName", "renamed by a forged form"), ("clientSecretFormat", "identifiable")));

        format.AssertRefused(HttpStatusCode.BadRequest, ResultCodes.InvalidSecretFormatSetting);
        var after = await ServiceAsync(sid);
        Assert.Equal(before["serviceName"]?.GetValue<string>(), after["serviceName"]?.GetValue<string>());
        Assert.False(after.ContainsKey("leakResponse"), after.ToJsonString());
        Assert.False(after.ContainsKey("clientSecretFormat"), after.ToJsonString());
        Assert.Equal(before["modifiedAt"]?.GetValue<long>(), after["modifiedAt"]?.GetValue<long>());
    }
}
