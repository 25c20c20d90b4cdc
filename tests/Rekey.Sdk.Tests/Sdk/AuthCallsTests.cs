using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Sdk;

/// <summary>Authlete's backend calls: the verdict is in the answer (HTTP 200 with an action), so the SDK reports success.</summary>
public sealed class AuthCallsTests(SqliteServerFixture fixture) : SdkTestBase(fixture)
{
    private async Task<(long ServiceId, TestClient Client)> ClientCredentialsClientAsync()
    {
        var serviceId = await Admin.CreateServiceAsync();
        return (serviceId, await Admin.CreateClientAsync(serviceId, """{"clientName":"worker","grantTypes":["CLIENT_CREDENTIALS"]}"""));
    }

    [Fact]
    public async Task a_token_from_auth_token_is_OK_at_auth_introspection()
    {
        var (serviceId, client) = await ClientCredentialsClientAsync();

        var issued = await Rekey.ProcessTokenRequestAsync(serviceId, new TokenRequest
        {
            Parameters = "grant_type=client_credentials",
            ClientId = client.Id,
            ClientSecret = client.Secret,
        });

        Assert.True(issued.IsSuccess, issued.ToString());
        Assert.Equal("OK", issued.Value.Action);
        Assert.Equal(ResultCodes.TokenIssued.Code, issued.Value.ResultCode);
        Assert.Equal(client.ClientId, issued.Value.ClientId);
        var token = issued.Value.AccessToken ?? throw new InvalidOperationException("no access token");
        Assert.DoesNotContain(token, issued.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(client.Secret, issued.ToString(), StringComparison.Ordinal);

        var introspected = await Rekey.IntrospectTokenAsync(serviceId, new IntrospectionRequest { Token = token });

        Assert.True(introspected.IsSuccess, introspected.ToString());
        Assert.Equal("OK", introspected.Value.Action);
        Assert.Equal(ResultCodes.IntrospectionActive.Code, introspected.Value.ResultCode);
        Assert.Equal(client.ClientId, introspected.Value.ClientId);
        Assert.True(introspected.Value.Usable);
    }

    [Fact]
    public async Task refusals_inside_the_envelope_are_successful_calls_with_their_action()
    {
        var (serviceId, client) = await ClientCredentialsClientAsync();

        var wrongSecret = await Rekey.ProcessTokenRequestAsync(serviceId, new TokenRequest
        {
            Parameters = "grant_type=client_credentials",
            ClientId = client.Id,
            ClientSecret = "not-the-secret",
        });
        var inactive = await Rekey.IntrospectTokenAsync(serviceId, new IntrospectionRequest { Token = "not-a-token" });
        var noToken = await Rekey.IntrospectTokenAsync(serviceId, new IntrospectionRequest());

        Assert.True(wrongSecret.IsSuccess, wrongSecret.ToString());
        Assert.Equal(200, wrongSecret.HttpStatus);
        Assert.Equal("INVALID_CLIENT", wrongSecret.Value.Action);
        Assert.Equal(ResultCodes.TokenInvalidClient.Code, wrongSecret.Value.ResultCode);
        Assert.Null(wrongSecret.Value.AccessToken);
        Assert.Equal("UNAUTHORIZED", inactive.Value?.Action);
        Assert.Equal(ResultCodes.IntrospectionInactive.Code, inactive.Value?.ResultCode);
        Assert.Equal("BAD_REQUEST", noToken.Value?.Action);
    }

    [Fact]
    public async Task a_token_request_without_parameters_or_for_an_unknown_service_is_an_error()
    {
        var (serviceId, client) = await ClientCredentialsClientAsync();

        var noParameters = await Rekey.ProcessTokenRequestAsync(serviceId, new TokenRequest { ClientId = client.Id, ClientSecret = client.Secret });
        var unknownService = await Rekey.IntrospectTokenAsync(serviceId + 1, new IntrospectionRequest { Token = "t" });

        Assert.Equal(400, noParameters.Error?.HttpStatus);
        Assert.Equal(ResultCodes.TokenParametersMissing.Code, noParameters.Error?.ResultCode);
        Assert.Equal(404, unknownService.Error?.HttpStatus);
        Assert.Equal(ResultCodes.ServiceNotFound.Code, unknownService.Error?.ResultCode);
        await Assert.ThrowsAsync<ArgumentNullException>(() => Rekey.ProcessTokenRequestAsync(serviceId, null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Rekey.IntrospectTokenAsync(serviceId, null!));
    }

    [Fact]
    public async Task the_backend_calls_need_client_read()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var created = await Rekey.CreateApiTokenAsync(new ApiTokenCreateRequest { ServiceId = serviceId, Permissions = [Permissions.ServiceRead] });
        var service = Connect(created.Value?.Token);

        var token = await service.ProcessTokenRequestAsync(serviceId, new TokenRequest { Parameters = "grant_type=client_credentials" });
        var introspection = await service.IntrospectTokenAsync(serviceId, new IntrospectionRequest { Token = "t" });

        Assert.Equal(ResultCodes.PermissionDenied.Format(Permissions.ClientRead), token.Error?.ResultMessage);
        Assert.Equal(ResultCodes.PermissionDenied.Format(Permissions.ClientRead), introspection.Error?.ResultMessage);
    }
}
