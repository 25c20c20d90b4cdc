using Rekey.Cli;
using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Cli;

/// <summary>The operator's path through the tool, with the real server behind it.</summary>
public sealed class CliRotationTests(SqliteServerFixture fixture) : CliTestBase(fixture)
{
    [Fact]
    public async Task a_full_rotation_from_the_command_line()
    {
        // service create
        var service = await RekeyAsync("service", "create", "--name", "Payments", "--issuer", "https://auth.example.com");
        Assert.True(service.ExitCode == ExitCodes.Success, service.ToString());
        Assert.Equal("Payments", service.Field("serviceName"));
        Assert.Equal("https://auth.example.com", service.Field("issuer"));
        var serviceId = service.Field("serviceId") ?? throw new InvalidOperationException(service.ToString());
        var env = Env(long.Parse(serviceId, System.Globalization.CultureInfo.InvariantCulture));

        // client create: the first secret is the point of the command, so it is printed.
        var created = await RunAsync(env, null, "client", "create", "--name", "Billing worker", "--alias", "billing", "--grant-type", "client_credentials");
        Assert.True(created.ExitCode == ExitCodes.Success, created.ToString());
        Assert.Equal("billing", created.Field("clientIdAlias"));
        Assert.Equal("CLIENT_CREDENTIALS", created.Field("grantTypes"));
        var clientId = created.Field("clientId") ?? throw new InvalidOperationException(created.ToString());
        var firstSecret = created.Field("clientSecret") ?? throw new InvalidOperationException(created.ToString());
        Assert.Equal(86, firstSecret.Length);

        // secret update from standard input: prints the new secret, not the old one.
        var updated = await RunAsync(env, "rotated_Secret-2026\n", "secret", "update", "billing");
        Assert.True(updated.ExitCode == ExitCodes.Success, updated.ToString());
        Assert.Equal("A149001", updated.Field("resultCode"));
        Assert.Equal($"[A149001] Successfully updated the client secret of the client (ID = {clientId}).", updated.Field("resultMessage"));
        // The secret the user gave is not printed back.
        Assert.DoesNotContain("rotated_Secret-2026", updated.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(firstSecret, updated.Out + updated.Err, StringComparison.Ordinal);
        Assert.Null(updated.Field("oldClientSecret"));
        Assert.Equal("", updated.Err);

        // secret refresh: a generated secret; the old one only with --show-old.
        var refreshed = await RunAsync(env, null, "secret", "refresh", clientId);
        Assert.True(refreshed.ExitCode == ExitCodes.Success, refreshed.ToString());
        Assert.Equal("A148001", refreshed.Field("resultCode"));
        var generated = refreshed.Field("newClientSecret") ?? throw new InvalidOperationException(refreshed.ToString());
        Assert.Equal(86, generated.Length);
        Assert.DoesNotContain("rotated_Secret-2026", refreshed.Out + refreshed.Err, StringComparison.Ordinal);

        var withOld = await RunAsync(env, null, "secret", "refresh", "billing", "--show-old");
        Assert.True(withOld.ExitCode == ExitCodes.Success, withOld.ToString());
        Assert.Equal(generated, withOld.Field("oldClientSecret"));

        // lock, then get: locked, and no secret unless --show-secret.
        var locked = await RunAsync(env, null, "client", "lock", "billing");
        Assert.True(locked.ExitCode == ExitCodes.Success, locked.ToString());
        Assert.Equal("A125001", locked.Field("resultCode"));

        var got = await RunAsync(env, null, "client", "get", "billing");
        Assert.True(got.ExitCode == ExitCodes.Success, got.ToString());
        Assert.Equal("yes", got.Field("locked"));
        Assert.Equal(clientId, got.Field("clientId"));
        Assert.Null(got.Field("clientSecret"));
        var current = withOld.Field("newClientSecret") ?? throw new InvalidOperationException();
        Assert.DoesNotContain(current, got.Out, StringComparison.Ordinal);

        var gotWithSecret = await RunAsync(env, null, "client", "get", "billing", "--show-secret");
        Assert.Equal(current, gotWithSecret.Field("clientSecret"));

        // delete, and the client is gone: exit code 1 with the server's code.
        var deleted = await RunAsync(env, null, "client", "delete", "billing", "--yes");
        Assert.True(deleted.ExitCode == ExitCodes.Success, deleted.ToString());
        Assert.Equal($"Deleted client billing of service {serviceId}.\n", deleted.Out);

        var gone = await RunAsync(env, null, "client", "get", "billing");
        Assert.Equal(ExitCodes.Refused, gone.ExitCode);
        Assert.Equal("", gone.Out);
        Assert.Equal($"error: A000211 [A000211] The client 'billing' was not found in the service {serviceId}.\n", gone.Err);
    }

    [Fact]
    public async Task json_output_parses_as_the_servers_shape_and_withholds_the_old_secret()
    {
        // Created by the tool itself, its --json output read as the server's shapes.
        var service = await RekeyAsync("--json", "service", "create", "--name", "cli test service");
        Assert.True(service.ExitCode == 0, service.ToString());
        var serviceId = service.Json(RekeyJsonContext.Default.ServiceDocument).ApiKey ?? throw new InvalidOperationException("no apiKey");
        var created = await RekeyAsync("--json", "client", "create", "--service", $"{serviceId}", "--name", "cli test client", "--alias", "json-client");
        Assert.True(created.ExitCode == 0, created.ToString());
        var client = created.Json(RekeyJsonContext.Default.ClientDocument);
        Assert.Equal(86, client.ClientSecret?.Length);
        var env = Env(serviceId);

        var updated = await RunAsync(env, "json_Secret\n", "--json", "secret", "update", "json-client");
        Assert.True(updated.ExitCode == 0, updated.ToString());
        var response = updated.Json(RekeyJsonContext.Default.ClientSecretResponse);
        Assert.Equal("A149001", response.ResultCode);
        Assert.Equal("json_Secret", response.NewClientSecret);
        Assert.Null(response.OldClientSecret);
        Assert.DoesNotContain(client.ClientSecret ?? "", updated.Out, StringComparison.Ordinal);

        var withOld = await RunAsync(env, null, "secret", "refresh", "json-client", "--json", "--show-old");
        Assert.Equal("json_Secret", withOld.Json(RekeyJsonContext.Default.ClientSecretResponse).OldClientSecret);

        var list = await RunAsync(env, null, "client", "list", "--json");
        var page = list.Json(RekeyJsonContext.Default.ClientListResponse);
        Assert.Equal(1, page.TotalCount);
        Assert.Null(Assert.Single(page.Clients).ClientSecret);
        Assert.DoesNotContain("clientSecret", list.Out, StringComparison.Ordinal);

        var services = await RekeyAsync("--json", "service", "list", "--end", "1000");
        Assert.Contains(services.Json(RekeyJsonContext.Default.ServiceListResponse).Services, s => s.ApiKey == serviceId);
    }

    [Fact]
    public async Task json_is_recognised_anywhere_on_the_line_and_is_the_body_as_received()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId, """{"clientName":"test client","clientIdAlias":"anywhere"}""");
        var env = Env(serviceId);

        var first = await RunAsync(env, null, "--json", "client", "get", "anywhere", "--show-secret");
        var middle = await RunAsync(env, null, "client", "--json", "get", "anywhere", "--show-secret");
        var last = await RunAsync(env, null, "client", "get", "anywhere", "--show-secret", "--json");

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(first.Out, middle.Out);
        Assert.Equal(first.Out, last.Out);

        var raw = await Admin.GetStringAsync($"/api/{serviceId}/client/get/anywhere");
        Assert.Equal(raw + "\n", first.Out);
        Assert.Equal(client.Secret, first.Json(RekeyJsonContext.Default.ClientDocument).ClientSecret);
    }

    [Fact]
    public async Task client_list_and_update_show_no_secrets_and_update_changes_only_the_given_fields()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var created = await RekeyAsync("--json", "client", "create", "--service", $"{serviceId}", "--name", "cli test client", "--alias", "editable", "--developer", "alice", "--grant-type", "CLIENT_CREDENTIALS");
        Assert.True(created.ExitCode == 0, created.ToString());
        var client = created.Json(RekeyJsonContext.Default.ClientDocument);
        var env = Env(serviceId);

        var list = await RunAsync(env, null, "client", "list", "--developer", "alice");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("CLIENT ID", list.Out, StringComparison.Ordinal);
        Assert.Contains("editable", list.Out, StringComparison.Ordinal);
        Assert.Contains("1 of 1 clients", list.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(client.ClientSecret ?? "", list.Out, StringComparison.Ordinal);

        var updated = await RunAsync(env, null, "client", "update", "editable", "--name", "Renamed", "--type", "public", "--developer", "");
        Assert.True(updated.ExitCode == 0, updated.ToString());
        Assert.Equal("Renamed", updated.Field("clientName"));
        Assert.Equal("PUBLIC", updated.Field("clientType"));
        Assert.Null(updated.Field("developer"));
        Assert.Equal("CLIENT_CREDENTIALS", updated.Field("grantTypes"));
        Assert.Equal("editable", updated.Field("clientIdAlias"));
        Assert.DoesNotContain(client.ClientSecret ?? "", updated.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task service_get_update_list_and_delete()
    {
        var serviceId = await Admin.CreateServiceAsync("""{"serviceName":"Before"}""");
        var env = Env(serviceId);

        var updated = await RunAsync(env, null, "service", "update", "--name", "After");
        Assert.True(updated.ExitCode == 0, updated.ToString());
        Assert.Equal("After", updated.Field("serviceName"));

        var got = await RunAsync(env, null, "service", "get");
        Assert.Equal($"{serviceId}", got.Field("serviceId"));
        Assert.Equal("After", got.Field("serviceName"));

        var list = await RunAsync(env, null, "service", "list", "--start", "0", "--end", "1000");
        var row = Assert.Single(list.Out.Split('\n'), l => l.StartsWith($"{serviceId} ", StringComparison.Ordinal));
        Assert.Matches(@"^\d+ +After$", row);

        var deleted = await RunAsync(env, null, "service", "delete", "--yes");
        Assert.Equal($"Deleted service {serviceId}.\n", deleted.Out);
        Assert.Equal(ExitCodes.Refused, (await RunAsync(env, null, "service", "get")).ExitCode);
    }

    [Fact]
    public async Task apitoken_create_list_and_delete_and_the_token_is_limited_to_its_permissions()
    {
        var serviceId = await Admin.CreateServiceAsync();
        await Admin.CreateClientAsync(serviceId, """{"clientName":"test client","clientIdAlias":"guarded"}""");

        var created = await RekeyAsync("apitoken", "create", "--service", $"{serviceId}", "--permission", "client.read", "--description", "reader");
        Assert.True(created.ExitCode == 0, created.ToString());
        var token = created.Field("token") ?? throw new InvalidOperationException(created.ToString());
        var tokenId = created.Field("tokenId") ?? throw new InvalidOperationException();
        Assert.Contains("shown this once", created.Err, StringComparison.Ordinal);

        var reader = new Dictionary<string, string?>(Env(serviceId)) { ["REKEY_TOKEN"] = token };
        Assert.Equal(ExitCodes.Success, (await RunAsync(reader, null, "client", "get", "guarded")).ExitCode);
        var denied = await RunAsync(reader, null, "secret", "refresh", "guarded");
        Assert.Equal(ExitCodes.Refused, denied.ExitCode);
        Assert.StartsWith("error: A000203 ", denied.Err, StringComparison.Ordinal);

        var list = await RekeyAsync("apitoken", "list", "--end", "1000");
        Assert.Contains(tokenId, list.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(token, list.Out, StringComparison.Ordinal);

        var deleted = await RekeyAsync("apitoken", "delete", tokenId, "--yes");
        Assert.Equal($"Deleted API token {tokenId}.\n", deleted.Out);
        var revoked = await RunAsync(reader, null, "client", "get", "guarded");
        Assert.Equal(ExitCodes.Refused, revoked.ExitCode);
        Assert.StartsWith("error: A000202 ", revoked.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_alias_starting_with_at_is_an_identifier_not_a_response_file()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId, """{"clientName":"test client","clientIdAlias":"@ops"}""");

        var got = await RunAsync(Env(serviceId), null, "client", "get", "@ops");

        Assert.True(got.ExitCode == 0, got.ToString());
        Assert.Equal($"{client.ClientId}", got.Field("clientId"));
    }
}
