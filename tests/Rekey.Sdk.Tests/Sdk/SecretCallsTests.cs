using System.Net.Http.Json;
using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Sdk;

public sealed class SecretCallsTests(SqliteServerFixture fixture) : SdkTestBase(fixture)
{
    [Fact]
    public async Task update_answers_A149001_with_the_new_and_the_old_secret()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId, """{"clientName":"test client","clientIdAlias":"rotating"}""");

        var updated = await Rekey.UpdateClientSecretAsync(serviceId, "rotating", new ClientSecretUpdateRequest { ClientSecret = "chosen_Secret-1" });

        Assert.True(updated.IsSuccess, updated.ToString());
        Assert.Equal(ResultCodes.SecretUpdated.Code, updated.Value.ResultCode);
        Assert.Equal(ResultCodes.SecretUpdated.Format(client.ClientId), updated.Value.ResultMessage);
        Assert.Equal("chosen_Secret-1", updated.Value.NewClientSecret);
        Assert.Equal(client.Secret, updated.Value.OldClientSecret);
        Assert.Equal("chosen_Secret-1", (await Rekey.GetClientAsync(serviceId, client.Id)).Value?.ClientSecret);
    }

    [Fact]
    public async Task refresh_answers_A148001_with_a_generated_secret_and_the_old_one()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId);

        var refreshed = await Rekey.RefreshClientSecretAsync(serviceId, client.Id);

        Assert.True(refreshed.IsSuccess, refreshed.ToString());
        Assert.Equal(ResultCodes.SecretRefreshed.Code, refreshed.Value.ResultCode);
        Assert.Equal(86, refreshed.Value.NewClientSecret?.Length);
        Assert.Null(ClientSecretRules.Check(refreshed.Value.NewClientSecret));
        Assert.Equal(client.Secret, refreshed.Value.OldClientSecret);
    }

    [Fact]
    public async Task update_and_refresh_of_an_unknown_client_are_404_errors()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var updated = await Rekey.UpdateClientSecretAsync(serviceId, "ghost", new ClientSecretUpdateRequest { ClientSecret = "valid" });
        var refreshed = await Rekey.RefreshClientSecretAsync(serviceId, "ghost");

        Assert.Equal(404, updated.Error?.HttpStatus);
        Assert.Equal(ResultCodes.ClientNotFound.Code, updated.Error?.ResultCode);
        Assert.Equal(404, refreshed.Error?.HttpStatus);
        Assert.Equal(ResultCodes.ClientNotFound.Code, refreshed.Error?.ResultCode);
    }

    public static TheoryData<string?> BrokenSecrets => new()
    {
        null,
        "",
        new string('a', ClientSecretRules.MaxLength + 1),
        "has space",
        "dot.not-allowed",
        "ünïcode",
        "line\n",
    };

    [Theory]
    [MemberData(nameof(BrokenSecrets))]
    public async Task a_secret_that_breaks_a_rule_is_refused_locally_with_the_code_the_server_would_answer(string? secret)
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId);
        var before = Counter.Count;

        var local = await Rekey.UpdateClientSecretAsync(serviceId, client.Id, new ClientSecretUpdateRequest { ClientSecret = secret });

        Assert.Equal(before, Counter.Count);
        Assert.False(local.IsSuccess);
        Assert.True(local.Error.IsLocal);
        Assert.Equal(RekeyErrorKind.Local, local.Error.Kind);
        Assert.True(local.Error.IsCallerError);
        Assert.Equal(400, local.Error.HttpStatus);
        Assert.Equal(0, local.HttpStatus);
        Assert.Null(local.Error.RawBody);

        // The same body sent past the SDK: the server answers with the same code and message.
        using var admin = Host.CreateAdminClient();
        using var response = await admin.PostAsJsonAsync($"/api/{serviceId}/client/secret/update/{client.ClientId}",
            new ClientSecretUpdateRequest { ClientSecret = secret }, RekeyJsonContext.Default.ClientSecretUpdateRequest);
        var server = await response.Content.ReadFromJsonAsync(RekeyJsonContext.Default.ResultResponse);
        Assert.Equal((int)response.StatusCode, local.Error.HttpStatus);
        Assert.Equal(server?.ResultCode, local.Error.ResultCode);
        Assert.Equal(server?.ResultMessage, local.Error.ResultMessage);

        // And nothing changed.
        Assert.Equal(client.Secret, (await Rekey.GetClientAsync(serviceId, client.Id)).Value?.ClientSecret);
    }

    [Fact]
    public async Task local_error_message_never_contains_the_refused_secret()
    {
        var local = await Rekey.UpdateClientSecretAsync(1, "1", new ClientSecretUpdateRequest { ClientSecret = "Sup3r$ecretValue" });

        Assert.Equal(ResultCodes.SecretIllegalCharacter.Code, local.Error?.ResultCode);
        Assert.DoesNotContain("Sup3r", local.Error?.ResultMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("Sup3r", local.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, Counter.Count);
    }

    [Fact]
    public async Task results_and_errors_never_print_secrets()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var created = await Rekey.CreateClientAsync(serviceId, new ClientDocument { ClientName = "quiet" });
        var firstSecret = created.Value?.ClientSecret ?? throw new InvalidOperationException();
        var updated = await Rekey.UpdateClientSecretAsync(serviceId, created.Value?.ClientId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? throw new InvalidOperationException("no clientId"), new ClientSecretUpdateRequest { ClientSecret = "second_Secret" });
        var list = await Rekey.ListClientsAsync(serviceId);

        foreach (var text in new[] { created.ToString(), updated.ToString(), updated.Value?.ToString(), list.ToString() })
        {
            Assert.DoesNotContain(firstSecret, text, StringComparison.Ordinal);
            Assert.DoesNotContain("second_Secret", text, StringComparison.Ordinal);
        }

        Assert.Contains("***", updated.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("tok-value", new RekeyClientOptions { Token = "tok-value" }.ToString(), StringComparison.Ordinal);
    }
}
