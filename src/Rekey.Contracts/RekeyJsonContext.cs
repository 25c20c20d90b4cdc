using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rekey.Contracts;

/// <summary>
/// Source-generated serialisation of every wire type: camelCase names, nulls omitted (strict Authlete clients
/// reject <c>null</c>), integers as integers.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(ResultResponse))]
[JsonSerializable(typeof(SigningKeysResponse))]
[JsonSerializable(typeof(ClientSecretUpdateRequest))]
[JsonSerializable(typeof(ClientSecretResponse))]
[JsonSerializable(typeof(ClientFlagUpdateRequest))]
[JsonSerializable(typeof(ClientDocument))]
[JsonSerializable(typeof(ClientListResponse))]
[JsonSerializable(typeof(ServiceDocument))]
[JsonSerializable(typeof(ServiceListResponse))]
[JsonSerializable(typeof(ApiTokenCreateRequest))]
[JsonSerializable(typeof(ApiTokenInfo))]
[JsonSerializable(typeof(ApiTokenListResponse))]
[JsonSerializable(typeof(ClientSecretListResponse))]
[JsonSerializable(typeof(SecretLeakRequest))]
[JsonSerializable(typeof(SecretLeakResponse))]
[JsonSerializable(typeof(SecretFormatResponse))]
[JsonSerializable(typeof(List<GitHubLeakMatch>))]
[JsonSerializable(typeof(List<GitHubLeakFeedback>))]
[JsonSerializable(typeof(AuditListResponse))]
[JsonSerializable(typeof(ClientRegistrationRequest))]
[JsonSerializable(typeof(ClientRegistrationResponse))]
[JsonSerializable(typeof(ClientInformation))]
[JsonSerializable(typeof(InitialAccessTokenCreateRequest))]
[JsonSerializable(typeof(InitialAccessTokenInfo))]
[JsonSerializable(typeof(InitialAccessTokenListResponse))]
[JsonSerializable(typeof(RegistrationTokenRefreshResponse))]
[JsonSerializable(typeof(WebhookRequest))]
[JsonSerializable(typeof(WebhookSecretRotateRequest))]
[JsonSerializable(typeof(WebhookInfo))]
[JsonSerializable(typeof(WebhookListResponse))]
[JsonSerializable(typeof(WebhookDeliveryListResponse))]
[JsonSerializable(typeof(WebhookDeliveryResponse))]
[JsonSerializable(typeof(DataKeysResponse))]
[JsonSerializable(typeof(OAuthTokenResponse))]
[JsonSerializable(typeof(OAuthError))]
[JsonSerializable(typeof(IntrospectionResult))]
[JsonSerializable(typeof(AuthorizationServerMetadata))]
[JsonSerializable(typeof(JsonWebKeySet))]
[JsonSerializable(typeof(TokenRequest))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(IntrospectionRequest))]
[JsonSerializable(typeof(IntrospectionResponse))]
[JsonSerializable(typeof(StandardIntrospectionRequest))]
[JsonSerializable(typeof(StandardIntrospectionResponse))]
[JsonSerializable(typeof(RequestableScopesDocument))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(Dictionary<string, JsonElement>))]
[JsonSerializable(typeof(HealthAnswer))]
[JsonSerializable(typeof(Dictionary<string, string>))]
public sealed partial class RekeyJsonContext : JsonSerializerContext;
