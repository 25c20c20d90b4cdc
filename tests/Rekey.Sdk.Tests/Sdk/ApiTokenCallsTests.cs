using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Sdk;

public sealed class ApiTokenCallsTests(SqliteServerFixture fixture) : SdkTestBase(fixture)
{
    [Fact]
    public async Task a_created_token_works_within_its_permissions_and_is_listed_without_its_value()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId);

        var created = await Rekey.CreateApiTokenAsync(new ApiTokenCreateRequest
        {
            ServiceId = serviceId,
            Permissions = [Permissions.ClientRead],
            Description = "read only",
        });

        Assert.True(created.IsSuccess, created.ToString());
        var token = created.Value.Token ?? throw new InvalidOperationException("no token value");
        Assert.DoesNotContain(token, created.ToString(), StringComparison.Ordinal);

        var limited = Connect(token);
        Assert.Equal(client.ClientId, (await limited.GetClientAsync(serviceId, client.Id)).Value?.ClientId);

        var denied = await limited.RefreshClientSecretAsync(serviceId, client.Id);
        Assert.Equal(403, denied.Error?.HttpStatus);
        Assert.Equal(ResultCodes.PermissionDenied.Code, denied.Error?.ResultCode);

        var list = await Rekey.ListApiTokensAsync(end: 1000);
        var listed = Assert.Single(list.Value?.ApiTokens ?? [], t => t.TokenId == created.Value.TokenId);
        Assert.Null(listed.Token);
        Assert.Equal("read only", listed.Description);
    }

    [Fact]
    public async Task create_with_an_unknown_permission_is_a_400_error()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var created = await Rekey.CreateApiTokenAsync(new ApiTokenCreateRequest { ServiceId = serviceId, Permissions = ["everything"] });

        Assert.Equal(400, created.Error?.HttpStatus);
        Assert.Equal(ResultCodes.ApiTokenInvalidPermissions.Code, created.Error?.ResultCode);
    }

    [Fact]
    public async Task a_deleted_token_stops_working_and_a_second_delete_is_a_404_error()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var created = await Rekey.CreateApiTokenAsync(new ApiTokenCreateRequest { ServiceId = serviceId, Permissions = [Permissions.ServiceRead] });
        var token = Connect(created.Value?.Token);
        Assert.True((await token.GetServiceAsync(serviceId)).IsSuccess);

        var deleted = await Rekey.DeleteApiTokenAsync(created.Value?.TokenId ?? 0);

        Assert.True(deleted.IsSuccess, deleted.ToString());
        Assert.Equal(204, deleted.HttpStatus);
        var refused = await token.GetServiceAsync(serviceId);
        Assert.Equal(401, refused.Error?.HttpStatus);
        Assert.Equal(ResultCodes.UnknownAccessToken.Code, refused.Error?.ResultCode);
        Assert.Equal(ResultCodes.ApiTokenNotFound.Code, (await Rekey.DeleteApiTokenAsync(created.Value?.TokenId ?? 0)).Error?.ResultCode);
    }
}
