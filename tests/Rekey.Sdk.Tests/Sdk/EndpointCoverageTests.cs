using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Rekey.Testing;

namespace Rekey.Sdk.Tests.Sdk;

/// <summary>
/// The SDK has one method per server endpoint under <c>/api</c>: a new endpoint without a method here (or a method
/// for an endpoint that went away) fails this test.
/// </summary>
public sealed class EndpointCoverageTests(SqliteServerFixture fixture) : IClassFixture<SqliteServerFixture>
{
    /// <summary>"METHOD pattern" of each /api endpoint → the SDK method(s) that call it.</summary>
    private static readonly Dictionary<string, string[]> Methods = new(StringComparer.Ordinal)
    {
        ["POST /api/service/create"] = [nameof(RekeyClient.CreateServiceAsync)],
        ["GET /api/{serviceId}/service/get"] = [nameof(RekeyClient.GetServiceAsync)],
        ["GET /api/service/get/list"] = [nameof(RekeyClient.ListServicesAsync)],
        ["GET /api/{serviceId}/service/configuration"] = [nameof(RekeyClient.GetServiceConfigurationAsync)],
        ["GET /api/{serviceId}/service/jwks/get"] = [nameof(RekeyClient.GetServiceJwksAsync)],
        ["POST /api/{serviceId}/service/update"] = [nameof(RekeyClient.UpdateServiceAsync)],
        ["DELETE /api/{serviceId}/service/delete"] = [nameof(RekeyClient.DeleteServiceAsync)],
        ["POST /api/{serviceId}/client/create"] = [nameof(RekeyClient.CreateClientAsync)],
        ["GET /api/{serviceId}/client/get/{clientIdentifier}"] = [nameof(RekeyClient.GetClientAsync)],
        ["GET /api/{serviceId}/client/get/list"] = [nameof(RekeyClient.ListClientsAsync)],
        ["POST /api/{serviceId}/client/update/{clientIdentifier}"] = [nameof(RekeyClient.UpdateClientAsync)],
        ["DELETE /api/{serviceId}/client/delete/{clientIdentifier}"] = [nameof(RekeyClient.DeleteClientAsync)],
        ["POST /api/{serviceId}/client/lock_flag/update/{clientIdentifier}"] = [nameof(RekeyClient.UpdateClientLockFlagAsync)],
        ["POST /api/{serviceId}/client/secret/update/{clientIdentifier}"] = [nameof(RekeyClient.UpdateClientSecretAsync)],
        ["GET /api/{serviceId}/client/secret/refresh/{clientIdentifier}"] = [nameof(RekeyClient.RefreshClientSecretAsync)],
        ["GET /api/{serviceId}/client/secret/list/{clientIdentifier}"] = [nameof(RekeyClient.ListClientSecretsAsync)],
        ["DELETE /api/{serviceId}/client/secret/delete/{clientIdentifier}/{secretId}"] = [nameof(RekeyClient.RevokeClientSecretAsync)],
        ["POST /api/{serviceId}/client/secret/leak"] = [nameof(RekeyClient.ReportLeakAsync)],
        ["POST /api/client/secret/leak"] = [nameof(RekeyClient.ReportLeakAnywhereAsync)],
        ["GET /api/secret-format"] = [nameof(RekeyClient.GetSecretFormatAsync)],
        ["POST /api/apitoken/create"] = [nameof(RekeyClient.CreateApiTokenAsync)],
        ["GET /api/apitoken/get/list"] = [nameof(RekeyClient.ListApiTokensAsync)],
        ["DELETE /api/apitoken/delete/{tokenId}"] = [nameof(RekeyClient.DeleteApiTokenAsync)],
        ["GET /api/{serviceId}/audit/get/list"] = [nameof(RekeyClient.ListAuditEventsAsync)],
        ["GET /api/audit/get/list"] = [nameof(RekeyClient.ListOrganisationAuditEventsAsync)],
        ["POST /api/keys/rotate"] = [nameof(RekeyClient.RotateDataKeyAsync)],
        ["POST /api/keys/reencrypt"] = [nameof(RekeyClient.ReencryptStoredValuesAsync)],
        ["GET /api/keys/get/list"] = [nameof(RekeyClient.ListDataKeysAsync)],
        ["POST /api/keys/rewrap"] = [nameof(RekeyClient.RewrapDataKeysAsync)],
        ["POST /api/keys/masters/retire/{masterKeyId}"] = [nameof(RekeyClient.RetireMasterKeyAsync)],
        ["POST /api/{serviceId}/signing_key/rotate"] = [nameof(RekeyClient.RotateSigningKeyAsync)],
        ["GET /api/{serviceId}/signing_key/get/list"] = [nameof(RekeyClient.ListSigningKeysAsync)],
        ["POST /api/{serviceId}/auth/token"] = [nameof(RekeyClient.ProcessTokenRequestAsync)],
        ["POST /api/{serviceId}/auth/introspection"] = [nameof(RekeyClient.IntrospectTokenAsync)],
        ["POST /api/{serviceId}/auth/introspection/standard"] = [nameof(RekeyClient.IntrospectTokenStandardAsync)],
        ["GET /api/{serviceId}/client/extension/requestable_scopes/get/{clientIdentifier}"] = [nameof(RekeyClient.GetRequestableScopesAsync)],
        ["POST /api/{serviceId}/client/extension/requestable_scopes/update/{clientIdentifier}"] = [nameof(RekeyClient.UpdateRequestableScopesAsync)],
        ["PUT /api/{serviceId}/client/extension/requestable_scopes/update/{clientIdentifier}"] = [nameof(RekeyClient.UpdateRequestableScopesAsync)],
        ["DELETE /api/{serviceId}/client/extension/requestable_scopes/delete/{clientIdentifier}"] = [nameof(RekeyClient.DeleteRequestableScopesAsync)],
        ["POST /api/{serviceId}/registration/token/create"] = [nameof(RekeyClient.CreateInitialAccessTokenAsync)],
        ["GET /api/{serviceId}/registration/token/get/list"] = [nameof(RekeyClient.ListInitialAccessTokensAsync)],
        ["POST /api/{serviceId}/client/registration_token/refresh/{clientIdentifier}"] = [nameof(RekeyClient.RefreshRegistrationTokenAsync)],
        ["DELETE /api/{serviceId}/registration/token/delete/{tokenId}"] = [nameof(RekeyClient.RevokeInitialAccessTokenAsync)],
        ["POST /api/{serviceId}/client/registration"] = [nameof(RekeyClient.RegisterClientAsync)],
        ["POST /api/{serviceId}/client/registration/get"] = [nameof(RekeyClient.GetClientRegistrationAsync)],
        ["POST /api/{serviceId}/client/registration/update"] = [nameof(RekeyClient.UpdateClientRegistrationAsync)],
        ["POST /api/{serviceId}/client/registration/delete"] = [nameof(RekeyClient.DeleteClientRegistrationAsync)],
        ["POST /api/{serviceId}/webhook/create"] = [nameof(RekeyClient.CreateWebhookAsync)],
        ["GET /api/{serviceId}/webhook/get/list"] = [nameof(RekeyClient.ListWebhooksAsync)],
        ["GET /api/{serviceId}/webhook/get/{webhookId}"] = [nameof(RekeyClient.GetWebhookAsync)],
        ["POST /api/{serviceId}/webhook/update/{webhookId}"] = [nameof(RekeyClient.UpdateWebhookAsync)],
        ["DELETE /api/{serviceId}/webhook/delete/{webhookId}"] = [nameof(RekeyClient.DeleteWebhookAsync)],
        ["POST /api/{serviceId}/webhook/test/{webhookId}"] = [nameof(RekeyClient.TestWebhookAsync)],
        ["POST /api/{serviceId}/webhook/secret/rotate/{webhookId}"] = [nameof(RekeyClient.RotateWebhookSecretAsync)],
        ["GET /api/{serviceId}/webhook/deliveries/{webhookId}"] = [nameof(RekeyClient.ListWebhookDeliveriesAsync)],
        ["POST /api/{serviceId}/webhook/redeliver/{webhookId}/{eventId}"] = [nameof(RekeyClient.RedeliverWebhookEventAsync)],

        // Authlete's end-user grant families: they only answer A127101 (Rekey has no end users), so no SDK method.
        ["GET /api/{serviceId}/client/authorization/get/list"] = [],
        ["POST /api/{serviceId}/client/authorization/get/list"] = [],
        ["GET /api/{serviceId}/client/authorization/get/list/{subject}"] = [],
        ["POST /api/{serviceId}/client/authorization/update/{clientIdentifier}"] = [],
        ["DELETE /api/{serviceId}/client/authorization/delete/{clientIdentifier}"] = [],
        ["POST /api/{serviceId}/client/authorization/delete/{clientIdentifier}"] = [],
        ["DELETE /api/{serviceId}/client/authorization/delete/{clientIdentifier}/{subject}"] = [],
        ["GET /api/{serviceId}/client/granted_scopes/get/{clientIdentifier}"] = [],
        ["POST /api/{serviceId}/client/granted_scopes/get/{clientIdentifier}"] = [],
        ["GET /api/{serviceId}/client/granted_scopes/get/{clientIdentifier}/{subject}"] = [],
        ["DELETE /api/{serviceId}/client/granted_scopes/delete/{clientIdentifier}"] = [],
        ["DELETE /api/{serviceId}/client/granted_scopes/delete/{clientIdentifier}/{subject}"] = [],
    };

    [Fact]
    public void every_api_endpoint_of_the_server_has_an_sdk_method()
    {
        var served = fixture.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(Methods.Keys.Order(StringComparer.Ordinal), served);
        var sdk = typeof(RekeyClient).GetMethods().Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        Assert.All(Methods.Values.SelectMany(m => m), name => Assert.Contains(name, sdk));
    }

    [Fact]
    public void every_public_sdk_call_is_async_and_takes_a_cancellation_token_last()
    {
        var calls = typeof(RekeyClient).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName)
            .ToList();

        Assert.All(calls, m =>
        {
            Assert.EndsWith("Async", m.Name, StringComparison.Ordinal);
            Assert.Equal(typeof(CancellationToken), m.GetParameters()[^1].ParameterType);
            Assert.True(m.GetParameters()[^1].HasDefaultValue, m.Name);
        });
        Assert.Equal(Methods.Values.SelectMany(m => m).Distinct().Order(StringComparer.Ordinal),
            calls.Select(m => m.Name).Distinct().Order(StringComparer.Ordinal));
    }
}
