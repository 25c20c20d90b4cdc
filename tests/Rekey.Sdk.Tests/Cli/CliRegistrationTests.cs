using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Rekey.Cli;
using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Cli;

/// <summary>
/// <c>rekey registration token create|list|revoke</c>: a service's initial access tokens, against the real server; the
/// token printed once registers a client at <c>/oauth2/{serviceId}/register</c> until it is revoked.
/// </summary>
public sealed class CliRegistrationTests(SqliteServerFixture fixture) : CliTestBase(fixture)
{
    private Task<long> RegistrationServiceAsync() =>
        Admin.CreateServiceAsync($$"""{"serviceName":"dcr","clientRegistrationPolicy":"{{ClientRegistrationPolicies.InitialAccessToken}}"}""");

    /// <summary>RFC 7591 registration as a client does it: a plain POST with the initial access token as bearer.</summary>
    private async Task<HttpStatusCode> RegisterAsync(long serviceId, string initialAccessToken)
    {
        using var anyone = Host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/oauth2/{serviceId}/register")
        {
            Content = new StringContent("""{"client_name":"x"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", initialAccessToken);
        using var response = await anyone.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task service_update_opens_and_closes_registration_and_sets_the_secret_format_and_leak_response()
    {
        var serviceId = await Admin.CreateServiceAsync("""{"serviceName":"settings"}""");
        var env = Env(serviceId);

        var opened = await RunAsync(env, null, "service", "update", "--registration-policy", "INITIAL_ACCESS_TOKEN", "--secret-format", "IDENTIFIABLE",
            "--leak-response", "LOCK");
        Assert.True(opened.ExitCode == ExitCodes.Success, opened.ToString());
        var service = (await Admin.GetForReplyAsync($"/api/{serviceId}/service/get")).Json;
        Assert.Equal(("INITIAL_ACCESS_TOKEN", true, "IDENTIFIABLE", "LOCK"), (service["clientRegistrationPolicy"]!.GetValue<string>(),
            service["dynamicRegistrationSupported"]!.GetValue<bool>(), service["clientSecretFormat"]!.GetValue<string>(), service["leakResponse"]!.GetValue<string>()));

        // The read-modify-write sends the flag back unchanged: the new policy wins.
        var closed = await RunAsync(env, null, "service", "update", "--registration-policy", "CLOSED");
        Assert.True(closed.ExitCode == ExitCodes.Success, closed.ToString());
        service = (await Admin.GetForReplyAsync($"/api/{serviceId}/service/get")).Json;
        Assert.Equal(("CLOSED", false, "IDENTIFIABLE"), (service["clientRegistrationPolicy"]!.GetValue<string>(),
            service["dynamicRegistrationSupported"]!.GetValue<bool>(), service["clientSecretFormat"]!.GetValue<string>()));

        var refused = await RunAsync(env, null, "service", "update", "--registration-policy", "SOMETIMES");
        Assert.Equal(ExitCodes.Usage, refused.ExitCode);
    }

    [Fact]
    public async Task create_prints_the_token_once_which_registers_a_client_list_shows_it_without_the_value_and_revoke_ends_it()
    {
        var serviceId = await RegistrationServiceAsync();
        var env = Env(serviceId);

        var created = await RunAsync(env, null, "registration", "token", "create", "--description", "ci pipeline", "--expires-in", "2h");

        Assert.True(created.ExitCode == ExitCodes.Success, created.ToString());
        var token = created.Field("token") ?? throw new InvalidOperationException(created.ToString());
        var tokenId = created.Field("tokenId") ?? throw new InvalidOperationException(created.ToString());
        Assert.StartsWith("rki_", token, StringComparison.Ordinal);
        Assert.Equal($"{serviceId}", created.Field("serviceId"));
        Assert.Equal("ci pipeline", created.Field("description"));
        Assert.Equal("no", created.Field("singleUse"));
        Assert.Equal("0", created.Field("registrations"));
        Assert.Equal(
            DateTimeOffset.Parse(created.Field("createdAt")!, System.Globalization.CultureInfo.InvariantCulture).AddHours(2),
            DateTimeOffset.Parse(created.Field("expiresAt")!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("shown this once", created.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(token, created.Err, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Created, await RegisterAsync(serviceId, token));

        var list = await RunAsync(env, null, "registration", "token", "list");
        Assert.True(list.ExitCode == ExitCodes.Success, list.ToString());
        var row = Assert.Single(list.Table("TOKEN ID", "CREATED", "EXPIRES", "SINGLE USE", "REGISTRATIONS", "LAST USED", "USABLE", "DESCRIPTION"));
        Assert.Equal(tokenId, row["TOKEN ID"]);
        Assert.Equal("no", row["SINGLE USE"]);
        Assert.Equal("yes", row["USABLE"]);
        Assert.Equal("1", row["REGISTRATIONS"]);
        Assert.NotEqual("", row["LAST USED"]);
        Assert.Equal("ci pipeline", row["DESCRIPTION"]);
        Assert.Contains("1 of 1 initial access tokens (start 0, end 5)", list.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(token, list.Out + list.Err, StringComparison.Ordinal);

        var revoked = await RunAsync(env, null, "registration", "token", "revoke", tokenId, "--yes");
        Assert.True(revoked.ExitCode == ExitCodes.Success, revoked.ToString());
        Assert.Equal($"Revoked initial access token {tokenId} of service {serviceId}.\n", revoked.Out);
        Assert.Equal(HttpStatusCode.Unauthorized, await RegisterAsync(serviceId, token));

        var again = await RunAsync(env, null, "registration", "token", "revoke", tokenId, "--yes");
        Assert.Equal(ExitCodes.Refused, again.ExitCode);
        Assert.StartsWith($"error: {ResultCodes.InitialAccessTokenNotFound.Code} ", again.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task create_with_json_prints_the_servers_answer_with_the_token_and_no_note_and_list_never_has_it()
    {
        var serviceId = await RegistrationServiceAsync();

        var created = await RunAsync(Env(serviceId), null, "--json", "registration", "token", "create", "--single-use", "--expires-in", "600");
        var list = await RunAsync(Env(serviceId), null, "-o", "json", "registration", "token", "list");

        Assert.True(created.ExitCode == ExitCodes.Success, created.ToString());
        Assert.Equal("", created.Err);
        var info = created.Json(RekeyJsonContext.Default.InitialAccessTokenInfo);
        Assert.StartsWith("rki_", info.Token, StringComparison.Ordinal);
        Assert.True(info.SingleUse);
        Assert.Equal(info.CreatedAt + 600_000, info.ExpiresAt);
        var listed = Assert.Single(list.Json(RekeyJsonContext.Default.InitialAccessTokenListResponse).InitialAccessTokens);
        Assert.Equal(info.TokenId, listed.TokenId);
        Assert.Null(listed.Token);
        Assert.DoesNotContain(info.Token!, list.Out, StringComparison.Ordinal);

        // Single use: one registration, then refused.
        Assert.Equal(HttpStatusCode.Created, await RegisterAsync(serviceId, info.Token!));
        Assert.Equal(HttpStatusCode.Unauthorized, await RegisterAsync(serviceId, info.Token!));
    }

    [Fact]
    public async Task create_with_yaml_prints_the_token_and_without_expires_in_the_token_never_expires()
    {
        var serviceId = await RegistrationServiceAsync();

        var yaml = await RunAsync(Env(serviceId), null, "-o", "yaml", "registration", "token", "create");
        var table = await RunAsync(Env(serviceId), null, "registration", "token", "create");

        Assert.True(yaml.ExitCode == ExitCodes.Success, yaml.ToString());
        Assert.Contains("\"token\": \"rki_", yaml.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("expiresAt", yaml.Out, StringComparison.Ordinal);
        Assert.Equal("never", table.Field("expiresAt"));
    }

    [Theory]
    [InlineData("0", ExitCodes.Refused, "error: A155201 ")]
    [InlineData("366d", ExitCodes.Refused, "error: A155201 ")]
    [InlineData("soon", ExitCodes.Usage, "error: usage --expires-in must be a whole number of seconds")]
    public async Task a_lifetime_out_of_range_is_refused_by_the_server_and_a_malformed_one_is_a_usage_error(string expiresIn, int exitCode, string error)
    {
        var serviceId = await RegistrationServiceAsync();

        var run = await RunAsync(Env(serviceId), null, "registration", "token", "create", "--expires-in", expiresIn);

        Assert.Equal(exitCode, run.ExitCode);
        Assert.Equal("", run.Out);
        Assert.StartsWith(error, run.Err, StringComparison.Ordinal);
        var list = await RunAsync(Env(serviceId), null, "-o", "json", "registration", "token", "list");
        Assert.Equal(0, list.Json(RekeyJsonContext.Default.InitialAccessTokenListResponse).TotalCount);
    }

    [Fact]
    public async Task revoke_asks_first_on_a_terminal_and_needs_yes_in_a_script()
    {
        var serviceId = await RegistrationServiceAsync();
        var created = await RunAsync(Env(serviceId), null, "--json", "registration", "token", "create");
        var info = created.Json(RekeyJsonContext.Default.InitialAccessTokenInfo);
        var terminal = new ScriptedTerminal("n");

        var script = await RunAsync(Env(serviceId), null, "registration", "token", "revoke", $"{info.TokenId}");
        var declined = await RunAsync(Env(serviceId), null, terminal, "registration", "token", "revoke", $"{info.TokenId}");

        Assert.Equal(ExitCodes.Usage, script.ExitCode);
        Assert.EndsWith("standard input is not a terminal, so pass --yes to confirm.\n", script.Err, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, declined.ExitCode);
        Assert.Equal($"This revokes initial access token {info.TokenId} of service {serviceId}: it registers no more clients. Continue? [y/N] ",
            Assert.Single(terminal.Prompts));
        Assert.Equal(HttpStatusCode.Created, await RegisterAsync(serviceId, info.Token!));
    }

    [Fact]
    public async Task the_commands_need_a_service_and_a_token_id_that_is_a_number()
    {
        var noService = await RekeyAsync("registration", "token", "list");
        var notNumber = await RunAsync(Env(1), null, "registration", "token", "revoke", "rki_value", "--yes");

        Assert.Equal(ExitCodes.Usage, noService.ExitCode);
        Assert.StartsWith("error: usage no service: pass --service <id>", noService.Err, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, notNumber.ExitCode);
        Assert.DoesNotContain("rki_value", notNumber.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_token_without_client_registration_is_refused_with_exit_code_1()
    {
        var serviceId = await RegistrationServiceAsync();
        var reader = Env(serviceId);
        reader["REKEY_TOKEN"] = (await Admin.CreateApiTokenAsync(serviceId, Permissions.ClientRead)).Token;

        var run = await RunAsync(reader, null, "registration", "token", "create");

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.StartsWith($"error: {ResultCodes.PermissionDenied.Code} ", run.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rekey reg", "registration")]
    [InlineData("rekey registration ", "token")]
    [InlineData("rekey registration token ", "create|list|revoke")]
    public async Task completion_offers_the_registration_commands(string line, string expected)
    {
        var run = await RekeyAsync($"[suggest:{line.Length}]", line);

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Equal(expected.Split('|'), run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('-')).Order(StringComparer.Ordinal));
    }
}
