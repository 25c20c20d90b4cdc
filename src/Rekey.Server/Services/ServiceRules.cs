using System.Text.Json.Nodes;
using Rekey.Contracts;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.Services;

/// <summary>What a service document may contain, and how a stored one is shown.</summary>
internal static class ServiceRules
{
    public const int MaxNameLength = 200;
    public const long MaxAccessTokenDuration = 7 * 24 * 3600;

    private static readonly HashSet<string> ReadOnly = new(StringComparer.Ordinal)
    {
        "number", "apiKey", "apiSecret", "serviceOwnerNumber", "createdAt", "modifiedAt",
    };

    /// <summary>
    /// Rekey's extension properties of a service. Authlete's SDKs do not know them: they read a service, change a field
    /// and send the document back without them. So on update an absent (or null) extension property keeps its stored
    /// value, while every Authlete property is replaced as Authlete does; an explicit value, 0 included, changes it.
    /// </summary>
    public static readonly IReadOnlyList<string> ExtensionProperties = ["clientSecretGracePeriod", "clientSecretLifetime", "clientSecretExpiryWarnings", "clientSecretFormat", "leakResponse", "clientRegistrationPolicy"];

    /// <summary>Validates a caller's replacement of <paramref name="stored"/>, keeping the extension properties it leaves out.</summary>
    public static Outcome<ServiceContent> Prepare(JsonObject body, StoredService stored)
    {
        var policyGiven = body[PolicyProperty] is not null;
        var merged = (JsonObject)body.DeepClone();
        var before = JsonNode.Parse(stored.Document) as JsonObject ?? [];
        foreach (var name in ExtensionProperties)
        {
            if (merged[name] is null && before[name] is { } kept)
            {
                merged[name] = kept.DeepClone();
            }
        }

        return Prepare(merged, policyGiven, before[SupportedProperty]?.GetValueKind() == System.Text.Json.JsonValueKind.True);
    }

    /// <summary>
    /// The rules an update body must meet whatever the stored service (checked before the service is locked); whether its
    /// registration settings agree depends on the stored flag, so <see cref="Prepare(JsonObject, StoredService)"/> decides that.
    /// </summary>
    public static Outcome<ServiceContent> CheckUpdate(JsonObject body) =>
        Prepare(body, body[PolicyProperty] is not null, storedSupported: body[SupportedProperty]?.GetValueKind() == System.Text.Json.JsonValueKind.True);

    /// <summary>Validates a caller's service document and returns the JSON to store.</summary>
    public static Outcome<ServiceContent> Prepare(JsonObject body) => Prepare(body, body[PolicyProperty] is not null, storedSupported: null);

    private const string PolicyProperty = "clientRegistrationPolicy";
    private const string SupportedProperty = "dynamicRegistrationSupported";

    private static Outcome<ServiceContent> Prepare(JsonObject body, bool policyGiven, bool? storedSupported)
    {
        var normalized = DocumentNormalizer.Normalize(body, AuthleteEnums.ServiceProperties, ReadOnly);
        if (!normalized.IsOk(out var document, out var error))
        {
            return error;
        }

        var bound = RequestBody.Bind(document, WireJson.Context.ServiceDocument);
        if (!bound.IsOk(out var service, out error))
        {
            return error;
        }

        if (service.ServiceName is { } name && (name.Length == 0 || name.Length > MaxNameLength))
        {
            return RuleViolation.Of(ResultCodes.InvalidServiceName, MaxNameLength);
        }

        // One line of display text each, TAB included (see ClientRules.TextProperties).
        if (UntrustedText.FirstWithControlCharacter(document, "serviceName", "description") is { } controlled)
        {
            return RuleViolation.Of(ResultCodes.ServiceTextControlCharacter, controlled);
        }

        if (service.Issuer is { } issuer && !IsValidIssuer(issuer))
        {
            return RuleViolation.Of(ResultCodes.InvalidIssuer);
        }

        var scopes = service.SupportedScopes ?? [];
        for (var i = 0; i < scopes.Count; i++)
        {
            if (scopes[i].Name is not { } scope || !IsScopeToken(scope))
            {
                return RuleViolation.Of(ResultCodes.InvalidScopeName, i);
            }
        }

        if (service.AccessTokenDuration is < 0 or > MaxAccessTokenDuration)
        {
            return RuleViolation.Of(ResultCodes.InvalidAccessTokenDuration, MaxAccessTokenDuration);
        }

        if (service.ClientSecretGracePeriod is < 0 or > Secrets.SecretPolicy.MaxGracePeriodSeconds)
        {
            return RuleViolation.Of(ResultCodes.InvalidGracePeriodSetting, Secrets.SecretPolicy.MaxGracePeriodSeconds);
        }

        if (service.ClientSecretLifetime is < 0 or > Secrets.SecretPolicy.MaxLifetimeSeconds)
        {
            return RuleViolation.Of(ResultCodes.InvalidSecretLifetimeSetting, Secrets.SecretPolicy.MaxLifetimeSeconds);
        }

        if (service.ClientSecretExpiryWarnings is { } warnings
            && (warnings.Count > Events.SecretNotices.MaxWarnings || warnings.Distinct().Count() != warnings.Count
                || warnings.Any(w => w is < 1 or > Events.SecretNotices.MaxWarningSeconds)))
        {
            return RuleViolation.Of(ResultCodes.InvalidExpiryWarningsSetting, Events.SecretNotices.MaxWarnings, Events.SecretNotices.MaxWarningSeconds);
        }

        if (service.ClientSecretFormat is { } format && !SecretFormats.All.Contains(format))
        {
            return RuleViolation.Of(ResultCodes.InvalidSecretFormatSetting, string.Join(", ", SecretFormats.All));
        }

        if (service.LeakResponse is { } response && !LeakResponses.All.Contains(response))
        {
            return RuleViolation.Of(ResultCodes.InvalidLeakResponseSetting, string.Join(", ", LeakResponses.All));
        }

        if (service.ClientRegistrationPolicy is { } policy && !ClientRegistrationPolicies.All.Contains(policy))
        {
            return RuleViolation.Of(ResultCodes.InvalidRegistrationPolicySetting, string.Join(", ", ClientRegistrationPolicies.All));
        }

        if (!RegistrationPolicy(service, policyGiven, storedSupported).IsOk(out var registration, out error))
        {
            return error;
        }

        // Both written once either is said (so that they agree); a service that never mentions registration keeps a
        // document without them, closed.
        if (registration != ClientRegistrationPolicies.Closed || service.ClientRegistrationPolicy is not null || service.DynamicRegistrationSupported is not null)
        {
            document[PolicyProperty] = registration;
            document[SupportedProperty] = registration != ClientRegistrationPolicies.Closed;
        }

        return new ServiceContent(document.ToJsonString(), new ServiceSettings(service.ClientSecretGracePeriod ?? 0, service.ClientSecretLifetime ?? 0,
            Events.SecretNotices.Encode(service.ClientSecretExpiryWarnings), SecretFormat: service.ClientSecretFormat, LeakResponse: service.LeakResponse));
    }

    /// <summary>
    /// The registration policy to store, from the document's two ways of saying it: Rekey's <c>clientRegistrationPolicy</c>
    /// (<paramref name="policyGiven"/>: the caller sent it, rather than an update keeping the stored one) and Authlete's
    /// <c>dynamicRegistrationSupported</c>. The policy, when sent, wins over a flag sent back unchanged (a tool that read the
    /// service, changed the policy and wrote it all back). An Authlete tool that knows only the flag opens registration
    /// with it (with initial access tokens, the safe choice, unless the open policy is already set) and closes it. Both
    /// changed and disagreeing is refused rather than guessed.
    /// </summary>
    private static Outcome<string> RegistrationPolicy(ServiceDocument service, bool policyGiven, bool? storedSupported)
    {
        var policy = service.ClientRegistrationPolicy;
        // On create (nothing stored) a flag sent is a flag said.
        var flagChanged = service.DynamicRegistrationSupported is { } flag && (storedSupported is not { } before || flag != before);
        if (policyGiven && policy is not null)
        {
            return flagChanged && service.DynamicRegistrationSupported != (policy != ClientRegistrationPolicies.Closed)
                ? RuleViolation.Of(ResultCodes.RegistrationSettingsContradict, service.DynamicRegistrationSupported == true ? "true" : "false", policy)
                : policy;
        }

        return service.DynamicRegistrationSupported switch
        {
            true when policy is null or ClientRegistrationPolicies.Closed => ClientRegistrationPolicies.WhenSupported,
            false => ClientRegistrationPolicies.Closed,
            _ => policy ?? ClientRegistrationPolicies.Default,
        };
    }

    /// <summary>
    /// The registration policy of a stored service: the one its document names, else <c>CLOSED</c>. Documents written
    /// since registration exists name one whenever either setting was given; a document stored before (an Authlete
    /// service imported with <c>dynamicRegistrationSupported: true</c>) stays closed until someone sets a policy, rather
    /// than opening on upgrade.
    /// </summary>
    public static string RegistrationPolicyOf(ServiceDocument service) => service.ClientRegistrationPolicy ?? ClientRegistrationPolicies.Closed;

    /// <summary>An RFC 6749 scope token (<see cref="Clients.RequestableScopes.IsScopeToken"/>) of at most 128 characters.</summary>
    private static bool IsScopeToken(string scope) => scope.Length <= 128 && Clients.RequestableScopes.IsScopeToken(scope);

    /// <summary>RFC 8414 §2: https, no query, no fragment (http allowed for loopback development).</summary>
    private static bool IsValidIssuer(string issuer) =>
        Uri.TryCreate(issuer, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback))
        && uri.Query.Length == 0 && uri.Fragment.Length == 0 && !issuer.Contains('#', StringComparison.Ordinal) && !issuer.Contains('?', StringComparison.Ordinal);

    public static ServiceDocument Present(StoredService stored)
    {
        var document = System.Text.Json.JsonSerializer.Deserialize(stored.Document, WireJson.Context.ServiceDocument) ?? new ServiceDocument();
        return document with
        {
            // Authlete's flag says what is in effect (see RegistrationPolicyOf).
            DynamicRegistrationSupported = document.ClientRegistrationPolicy is null && document.DynamicRegistrationSupported == true ? false : document.DynamicRegistrationSupported,
            Number = stored.Number,
            ApiKey = stored.ServiceId,
            CreatedAt = stored.CreatedAt,
            ModifiedAt = stored.ModifiedAt,
        };
    }
}
