using System.Text;
using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Sdk;

/// <summary>The Rekey extensions around rotation: grace periods, the secret list and revocation.</summary>
public sealed class SecretListCallsTests(SqliteServerFixture fixture) : SdkTestBase(fixture)
{
    [Fact]
    public async Task update_with_a_grace_period_keeps_the_old_secret_as_previous_and_the_list_shows_no_values()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId, """{"clientName":"test client","clientIdAlias":"graceful"}""");
        var firstSecret = client.Secret;

        var updated = await Rekey.UpdateClientSecretAsync(serviceId, "graceful", new ClientSecretUpdateRequest { ClientSecret = "second_Secret", GracePeriod = 600 });
        Assert.True(updated.IsSuccess, updated.ToString());

        var list = await Rekey.ListClientSecretsAsync(serviceId, "graceful");

        Assert.True(list.IsSuccess, list.ToString());
        Assert.Equal(ResultCodes.SecretsListed.Code, list.Value.ResultCode);
        Assert.Equal(ResultCodes.SecretsListed.Format(client.ClientId), list.Value.ResultMessage);
        Assert.Equal(client.ClientId, list.Value.ClientId);
        Assert.Collection(list.Value.Secrets,
            current =>
            {
                Assert.Equal("current", current.Status);
                Assert.Null(current.ValidUntil);
                Assert.Null(current.RevokedAt);
                Assert.Null(current.Hint); // 13 characters: too short for a hint
            },
            previous =>
            {
                Assert.Equal("previous", previous.Status);
                Assert.Null(previous.RevokedAt);
                Assert.Equal(firstSecret[..4], previous.Hint); // 86 characters: the first four are shown
                var grace = previous.ValidUntil - list.Value.Secrets[0].CreatedAt;
                Assert.InRange(grace ?? 0, 599_000, 601_000);
            });
        Assert.True(list.Value.Secrets[0].SecretId != list.Value.Secrets[1].SecretId);

        var body = Encoding.UTF8.GetString(list.Body.Span);
        Assert.DoesNotContain(firstSecret, body, StringComparison.Ordinal);
        Assert.DoesNotContain("second_Secret", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task refresh_sends_the_grace_period_and_without_one_the_services_setting_applies()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId);

        var withGrace = await Rekey.RefreshClientSecretAsync(serviceId, client.Id, 3600);
        Assert.True(withGrace.IsSuccess, withGrace.ToString());
        var afterGrace = await Rekey.ListClientSecretsAsync(serviceId, client.Id);
        Assert.Equal("current previous", string.Join(" ", afterGrace.Value?.Secrets.Select(s => s.Status) ?? []));
        Assert.InRange((afterGrace.Value?.Secrets[1].ValidUntil - afterGrace.Value?.Secrets[0].CreatedAt) ?? 0, 3_599_000, 3_601_000);

        // The service's clientSecretGracePeriod is 0: the secret replaced without a grace period is revoked at once.
        var withoutGrace = await Rekey.RefreshClientSecretAsync(serviceId, client.Id, gracePeriod: null);
        Assert.True(withoutGrace.IsSuccess, withoutGrace.ToString());
        var afterNone = await Rekey.ListClientSecretsAsync(serviceId, client.Id);
        Assert.Equal("current", afterNone.Value?.Secrets[0].Status);
        Assert.Equal("revoked", afterNone.Value?.Secrets[1].Status);
        Assert.NotNull(afterNone.Value?.Secrets[1].RevokedAt);
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(30L * 24 * 3600 + 1)]
    public async Task a_grace_period_out_of_range_is_A149206_for_refresh_and_update(long gracePeriod)
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId);

        var refreshed = await Rekey.RefreshClientSecretAsync(serviceId, client.Id, gracePeriod);
        var updated = await Rekey.UpdateClientSecretAsync(serviceId, client.Id, new ClientSecretUpdateRequest { ClientSecret = "valid", GracePeriod = gracePeriod });

        Assert.Equal(400, refreshed.Error?.HttpStatus);
        Assert.Equal(ResultCodes.InvalidGracePeriod.Code, refreshed.Error?.ResultCode);
        Assert.Equal(400, updated.Error?.HttpStatus);
        Assert.Equal(ResultCodes.InvalidGracePeriod.Code, updated.Error?.ResultCode);
        Assert.False(updated.Error?.IsLocal);
        Assert.Equal(client.Secret, (await Rekey.GetClientAsync(serviceId, client.Id)).Value?.ClientSecret);
    }

    [Fact]
    public async Task revoking_a_previous_secret_answers_A151001_and_the_list_shows_it_revoked()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId);
        await Rekey.RefreshClientSecretAsync(serviceId, client.Id, 600);
        var previous = (await Rekey.ListClientSecretsAsync(serviceId, client.Id)).Value?.Secrets[1] ?? throw new InvalidOperationException();

        var revoked = await Rekey.RevokeClientSecretAsync(serviceId, client.Id, previous.SecretId);

        Assert.True(revoked.IsSuccess, revoked.ToString());
        Assert.Equal(200, revoked.HttpStatus);
        Assert.Equal(ResultCodes.SecretRevoked.Code, revoked.Value.ResultCode);
        Assert.Equal(ResultCodes.SecretRevoked.Format(previous.SecretId, client.ClientId), revoked.Value.ResultMessage);
        var after = Assert.Single((await Rekey.ListClientSecretsAsync(serviceId, client.Id)).Value?.Secrets ?? [], s => s.SecretId == previous.SecretId);
        Assert.Equal("revoked", after.Status);
        Assert.NotNull(after.RevokedAt);
    }

    [Fact]
    public async Task revoking_the_current_secret_is_A151201_and_an_unknown_one_A151202()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId);
        var current = Assert.Single((await Rekey.ListClientSecretsAsync(serviceId, client.Id)).Value?.Secrets ?? []);

        var refused = await Rekey.RevokeClientSecretAsync(serviceId, client.Id, current.SecretId);
        var unknown = await Rekey.RevokeClientSecretAsync(serviceId, client.Id, current.SecretId + 1_000_000);

        Assert.Equal(400, refused.Error?.HttpStatus);
        Assert.Equal(ResultCodes.CannotRevokeCurrentSecret.Code, refused.Error?.ResultCode);
        Assert.Equal(ResultCodes.CannotRevokeCurrentSecret.Format(current.SecretId), refused.Error?.ResultMessage);
        Assert.Equal(404, unknown.Error?.HttpStatus);
        Assert.Equal(ResultCodes.SecretNotFound.Code, unknown.Error?.ResultCode);
        Assert.Equal("current", (await Rekey.ListClientSecretsAsync(serviceId, client.Id)).Value?.Secrets[0].Status);
    }

    [Fact]
    public async Task list_of_an_unknown_client_is_a_404_error_and_needs_client_read()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId);

        var unknown = await Rekey.ListClientSecretsAsync(serviceId, "ghost");
        Assert.Equal(404, unknown.Error?.HttpStatus);
        Assert.Equal(ResultCodes.ClientNotFound.Code, unknown.Error?.ResultCode);

        var created = await Rekey.CreateApiTokenAsync(new ApiTokenCreateRequest { ServiceId = serviceId, Permissions = [Permissions.ServiceRead] });
        var denied = await Connect(created.Value?.Token).ListClientSecretsAsync(serviceId, client.Id);
        Assert.Equal(403, denied.Error?.HttpStatus);
        Assert.Equal(ResultCodes.PermissionDenied.Format(Permissions.ClientRead), denied.Error?.ResultMessage);
    }

    [Fact]
    public async Task the_old_refresh_signature_still_binds_a_positional_cancellation_token()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId);
        using var cts = new CancellationTokenSource();

        var refreshed = await Rekey.RefreshClientSecretAsync(serviceId, client.Id, cts.Token);

        Assert.True(refreshed.IsSuccess, refreshed.ToString());
    }
}
