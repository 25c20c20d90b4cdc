using System.Text.Json;
using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Sdk;

public sealed class ClientCallsTests(SqliteServerFixture fixture) : SdkTestBase(fixture)
{
    [Fact]
    public async Task create_returns_the_generated_id_and_secret()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var created = await Rekey.CreateClientAsync(serviceId, new ClientDocument
        {
            ClientName = "worker",
            ClientIdAlias = "worker-1",
            GrantTypes = ["CLIENT_CREDENTIALS"],
        });

        Assert.True(created.IsSuccess, created.ToString());
        Assert.NotNull(created.Value.ClientId);
        Assert.Equal(86, created.Value.ClientSecret?.Length);
        Assert.Equal("worker-1", created.Value.ClientIdAlias);
        Assert.Equal(["CLIENT_CREDENTIALS"], created.Value.GrantTypes);
    }

    [Fact]
    public async Task body_is_the_servers_json_as_received()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var created = await Rekey.CreateClientAsync(serviceId, new ClientDocument { ClientName = "raw" });

        Assert.True(created.IsSuccess);
        var reparsed = JsonSerializer.Deserialize(created.Body.Span, RekeyJsonContext.Default.ClientDocument);
        Assert.Equal(created.Value.ClientId, reparsed?.ClientId);
        Assert.Equal(created.Value.ClientSecret, reparsed?.ClientSecret);
    }

    [Fact]
    public async Task create_with_an_alias_already_in_use_is_a_400_error()
    {
        var serviceId = await Admin.CreateServiceAsync();
        await Admin.CreateClientAsync(serviceId, """{"clientName":"test client","clientIdAlias":"taken"}""");

        var second = await Rekey.CreateClientAsync(serviceId, new ClientDocument { ClientName = "again", ClientIdAlias = "taken" });

        Assert.Equal(400, second.Error?.HttpStatus);
        Assert.Equal(ResultCodes.ClientIdAliasInUse.Code, second.Error?.ResultCode);
    }

    [Fact]
    public async Task get_finds_a_client_by_id_and_by_alias()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId, """{"clientName":"test client","clientIdAlias":"by-alias"}""");

        var byId = await Rekey.GetClientAsync(serviceId, client.Id);
        var byAlias = await Rekey.GetClientAsync(serviceId, "by-alias");

        Assert.Equal(client.ClientId, byId.Value?.ClientId);
        Assert.Equal(client.ClientId, byAlias.Value?.ClientId);
    }

    [Fact]
    public async Task get_of_an_unknown_client_is_a_404_error()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var got = await Rekey.GetClientAsync(serviceId, "no-such-client");

        Assert.False(got.IsSuccess);
        Assert.Equal(404, got.Error.HttpStatus);
        Assert.Equal(ResultCodes.ClientNotFound.Code, got.Error.ResultCode);
        Assert.Equal(ResultCodes.ClientNotFound.Format("no-such-client", serviceId), got.Error.ResultMessage);
    }

    [Fact]
    public async Task an_identifier_with_reserved_characters_is_escaped_into_one_path_segment()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var got = await Rekey.GetClientAsync(serviceId, "a/b?c#d");

        Assert.Equal(404, got.Error?.HttpStatus);
        Assert.Equal(ResultCodes.ClientNotFound.Code, got.Error?.ResultCode);
    }

    [Fact]
    public async Task an_empty_identifier_is_a_programming_error_and_sends_nothing()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Rekey.GetClientAsync(1, ""));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Rekey.GetClientAsync(1, null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Rekey.CreateClientAsync(1, null!));
        Assert.Equal(0, Counter.Count);
    }

    [Fact]
    public async Task list_filters_by_developer()
    {
        var serviceId = await Admin.CreateServiceAsync();
        await Rekey.CreateClientAsync(serviceId, new ClientDocument { ClientName = "a", Developer = "alice" });
        await Rekey.CreateClientAsync(serviceId, new ClientDocument { ClientName = "b", Developer = "bob" });
        await Rekey.CreateClientAsync(serviceId, new ClientDocument { ClientName = "c", Developer = "alice" });

        var all = await Rekey.ListClientsAsync(serviceId, end: 100);
        var alice = await Rekey.ListClientsAsync(serviceId, developer: "alice");

        Assert.Equal(3, all.Value?.TotalCount);
        Assert.Equal(2, alice.Value?.TotalCount);
        Assert.All(alice.Value?.Clients ?? [], c => Assert.Equal("alice", c.Developer));
    }

    [Fact]
    public async Task list_of_an_unknown_service_is_a_404_error()
    {
        var list = await Rekey.ListClientsAsync(999_999_999_997);

        Assert.Equal(404, list.Error?.HttpStatus);
        Assert.Equal(ResultCodes.ServiceNotFound.Code, list.Error?.ResultCode);
    }

    [Fact]
    public async Task update_replaces_the_document_and_keeps_the_id()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId);

        var updated = await Rekey.UpdateClientAsync(serviceId, client.Id, new ClientDocument { ClientName = "renamed", Developer = "carol" });

        Assert.True(updated.IsSuccess, updated.ToString());
        Assert.Equal(client.ClientId, updated.Value.ClientId);
        Assert.Equal("renamed", updated.Value.ClientName);
        Assert.Equal("carol", (await Rekey.GetClientAsync(serviceId, client.Id)).Value?.Developer);
    }

    [Fact]
    public async Task update_of_an_unknown_client_is_a_404_error()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var updated = await Rekey.UpdateClientAsync(serviceId, "424242", new ClientDocument { ClientName = "x" });

        Assert.Equal(404, updated.Error?.HttpStatus);
        Assert.Equal(ResultCodes.ClientNotFound.Code, updated.Error?.ResultCode);
    }

    [Fact]
    public async Task delete_succeeds_with_204_and_the_client_is_gone()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId);

        var deleted = await Rekey.DeleteClientAsync(serviceId, client.Id);

        Assert.True(deleted.IsSuccess, deleted.ToString());
        Assert.Equal(204, deleted.HttpStatus);
        Assert.Equal(404, (await Rekey.GetClientAsync(serviceId, client.Id)).Error?.HttpStatus);

        var again = await Rekey.DeleteClientAsync(serviceId, client.Id);
        Assert.Equal(ResultCodes.ClientNotFound.Code, again.Error?.ResultCode);
    }

    [Fact]
    public async Task lock_and_unlock_answer_A125001_and_change_the_flag()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId, """{"clientName":"test client","clientIdAlias":"lockable"}""");

        var locked = await Rekey.UpdateClientLockFlagAsync(serviceId, "lockable", new ClientFlagUpdateRequest { ClientLocked = true });
        Assert.True(locked.IsSuccess, locked.ToString());
        Assert.Equal(ResultCodes.LockFlagUpdated.Code, locked.Value.ResultCode);
        Assert.True((await Rekey.GetClientAsync(serviceId, client.Id)).Value?.Locked);

        var unlocked = await Rekey.UpdateClientLockFlagAsync(serviceId, client.Id, new ClientFlagUpdateRequest { ClientLocked = false });
        Assert.Equal(ResultCodes.LockFlagUpdated.Code, unlocked.Value?.ResultCode);
        Assert.False((await Rekey.GetClientAsync(serviceId, client.Id)).Value?.Locked);
    }

    [Fact]
    public async Task lock_without_a_flag_is_a_400_error()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId);

        var result = await Rekey.UpdateClientLockFlagAsync(serviceId, client.Id, new ClientFlagUpdateRequest());

        Assert.Equal(400, result.Error?.HttpStatus);
        Assert.Equal(ResultCodes.InvalidLockFlag.Code, result.Error?.ResultCode);
    }
}
