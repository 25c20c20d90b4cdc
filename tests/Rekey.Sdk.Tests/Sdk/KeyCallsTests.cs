using System.Net.Http.Json;
using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Sdk;

/// <summary>Data-key rotation is global: this class has its own server, and its tests only compare before with after.</summary>
public sealed class KeyCallsTests(SqliteServerFixture fixture) : SdkTestBase(fixture)
{
    [Fact]
    public async Task rotate_adds_a_current_key_and_re_encrypts_every_stored_value_under_it()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId);
        var before = await Rekey.ListDataKeysAsync();
        Assert.True(before.IsSuccess, before.ToString());
        Assert.Equal(ResultCodes.DataKeysListed.Code, before.Value.ResultCode);
        Assert.Equal(ResultCodes.DataKeysListed.Format(before.Value.Keys.Count), before.Value.ResultMessage);
        Assert.Null(before.Value.Reencrypted);
        var stored = before.Value.Keys.Sum(k => k.Values);
        Assert.True(stored >= 1, before.ToString());

        var rotated = await Rekey.RotateDataKeyAsync();

        Assert.True(rotated.IsSuccess, rotated.ToString());
        Assert.Equal(ResultCodes.DataKeyRotated.Code, rotated.Value.ResultCode);
        Assert.Equal(before.Value.Keys.Count + 1, rotated.Value.Keys.Count);
        var current = Assert.Single(rotated.Value.Keys, k => k.Current);
        Assert.DoesNotContain(before.Value.Keys, k => k.KeyId == current.KeyId);
        Assert.Equal(stored, rotated.Value.Reencrypted);
        Assert.Equal(stored, current.Values);
        Assert.All(rotated.Value.Keys.Where(k => !k.Current), k => Assert.Equal(0, k.Values));
        Assert.Equal(ResultCodes.DataKeyRotated.Format(current.KeyId, stored, 0), rotated.Value.ResultMessage);

        // Everything still decrypts under the new key.
        Assert.Equal(client.Secret, (await Rekey.GetClientAsync(serviceId, client.Id)).Value?.ClientSecret);
        var after = await Rekey.ListDataKeysAsync();
        Assert.Equal(current.KeyId, Assert.Single(after.Value?.Keys ?? [], k => k.Current).KeyId);
    }

    [Fact]
    public async Task reencrypt_with_nothing_left_under_older_keys_re_encrypts_nothing()
    {
        await Admin.CreateClientAsync();
        Assert.True((await Rekey.RotateDataKeyAsync()).IsSuccess);

        var finished = await Rekey.ReencryptStoredValuesAsync();

        Assert.True(finished.IsSuccess, finished.ToString());
        Assert.Equal(ResultCodes.DataKeyReencrypted.Code, finished.Value.ResultCode);
        Assert.Equal(0, finished.Value.Reencrypted);
        Assert.All(finished.Value.Keys.Where(k => !k.Current), k => Assert.Equal(0, k.Values));
    }

    [Fact]
    public async Task the_key_calls_are_for_the_organisation_token_only()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var created = await Rekey.CreateApiTokenAsync(new ApiTokenCreateRequest { ServiceId = serviceId, Permissions = [.. Permissions.Grantable] });
        var service = Connect(created.Value?.Token);
        var keysBefore = (await Rekey.ListDataKeysAsync()).Value?.Keys.Count;

        foreach (var refused in new[] { await service.RotateDataKeyAsync(), await service.ReencryptStoredValuesAsync(), await service.ListDataKeysAsync() })
        {
            Assert.Equal(403, refused.Error?.HttpStatus);
            Assert.Equal(ResultCodes.PermissionDenied.Format(Permissions.Admin), refused.Error?.ResultMessage);
        }

        Assert.Equal(keysBefore, (await Rekey.ListDataKeysAsync()).Value?.Keys.Count);
    }

    [Fact]
    public async Task rotating_a_signing_key_answers_A182001_and_publishes_the_new_key_beside_the_old()
    {
        var serviceId = await Admin.CreateServiceAsync();
        using var anonymous = Host.CreateClient();
        var before = await anonymous.GetFromJsonAsync($"/oauth2/{serviceId}/jwks", RekeyJsonContext.Default.JsonWebKeySet) ?? throw new InvalidOperationException();

        var rotated = await Rekey.RotateSigningKeyAsync(serviceId);

        Assert.True(rotated.IsSuccess, rotated.ToString());
        Assert.Equal(ResultCodes.SigningKeyRotated.Code, rotated.Value.ResultCode);
        var after = await anonymous.GetFromJsonAsync($"/oauth2/{serviceId}/jwks", RekeyJsonContext.Default.JsonWebKeySet) ?? throw new InvalidOperationException();
        var added = Assert.Single(after.Keys, k => before.Keys.All(b => b.Kid != k.Kid));
        Assert.Equal(ResultCodes.SigningKeyRotated.Format(serviceId, added.Kid), rotated.Value.ResultMessage);
        Assert.All(before.Keys, k => Assert.Contains(after.Keys, a => a.Kid == k.Kid));

        // The answer carries the schedule: the new key published (not signing yet), the old one still active.
        Assert.Equal(SigningKeyInfo.Published, Assert.Single(rotated.Value.Keys, k => k.KeyId == added.Kid).Status);
        Assert.Equal(SigningKeyInfo.Active, Assert.Single(rotated.Value.Keys, k => k.KeyId == before.Keys[0].Kid).Status);
        var listed = await Rekey.ListSigningKeysAsync(serviceId);
        Assert.True(listed.IsSuccess, listed.ToString());
        Assert.Equal(rotated.Value.Keys.Select(k => (k.KeyId, k.Status)), listed.Value.Keys.Select(k => (k.KeyId, k.Status)));
    }

    [Fact]
    public async Task rotating_a_signing_key_needs_service_write()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var created = await Rekey.CreateApiTokenAsync(new ApiTokenCreateRequest { ServiceId = serviceId, Permissions = [Permissions.ServiceRead] });
        var writer = await Rekey.CreateApiTokenAsync(new ApiTokenCreateRequest { ServiceId = serviceId, Permissions = [Permissions.ServiceWrite] });

        var denied = await Connect(created.Value?.Token).RotateSigningKeyAsync(serviceId);
        var allowed = await Connect(writer.Value?.Token).RotateSigningKeyAsync(serviceId);

        Assert.Equal(403, denied.Error?.HttpStatus);
        Assert.Equal(ResultCodes.PermissionDenied.Format(Permissions.ServiceWrite), denied.Error?.ResultMessage);
        Assert.True(allowed.IsSuccess, allowed.ToString());
    }
}
