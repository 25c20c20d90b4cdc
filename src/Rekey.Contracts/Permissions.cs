namespace Rekey.Contracts;

/// <summary>The permissions an API token can carry. The organisation (admin) token holds all of them and more.</summary>
public static class Permissions
{
    /// <summary>Read the service document.</summary>
    public const string ServiceRead = "service.read";
    /// <summary>Update the service document.</summary>
    public const string ServiceWrite = "service.write";
    /// <summary>Read client documents (without the secret).</summary>
    public const string ClientRead = "client.read";
    /// <summary>Create, update, lock and delete clients.</summary>
    public const string ClientWrite = "client.write";
    /// <summary>See <c>clientSecret</c> in client documents.</summary>
    public const string ClientSecretRead = "client.secret.read";
    /// <summary>Update and refresh client secrets.</summary>
    public const string ClientSecretWrite = "client.secret.write";
    /// <summary>
    /// Report a value as leaked (<c>/client/secret/leak</c>); the answer does not say whether it was a secret. A token
    /// with <see cref="ClientSecretWrite"/> may report too, and is told what was done.
    /// </summary>
    public const string ClientSecretLeak = "client.secret.leak";
    /// <summary>
    /// Dynamic client registration on behalf of registering clients: Authlete's <c>/client/registration</c> APIs (which
    /// create, read, update and delete clients and return their secrets and registration access tokens) and the service's
    /// initial access tokens (create, list, revoke).
    /// </summary>
    public const string ClientRegistration = "client.registration";

    /// <summary>Read the service's audit trail.</summary>
    public const string AuditRead = "audit.read";
    /// <summary>Read the service's webhooks and their delivery logs.</summary>
    public const string WebhookRead = "webhook.read";
    /// <summary>Create, update, test, rotate the signing secret of and delete webhooks; redeliver.</summary>
    public const string WebhookWrite = "webhook.write";
    /// <summary>Only the organisation token: create and delete services, manage API tokens.</summary>
    public const string Admin = "admin";

    /// <summary>Every permission an API token may be given.</summary>
    public static IReadOnlyList<string> Grantable { get; } =
        [ServiceRead, ServiceWrite, ClientRead, ClientWrite, ClientSecretRead, ClientSecretWrite, ClientSecretLeak, ClientRegistration, AuditRead, WebhookRead, WebhookWrite];
}
