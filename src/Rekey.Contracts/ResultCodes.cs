using System.Reflection;

namespace Rekey.Contracts;

/// <summary>
/// The result-code catalogue. Every code has exactly one meaning; codes are never reused. The document
/// <c>docs/result-codes.md</c> lists the same entries and a test keeps the two in step.
/// API numbers: 000 common, 110–114 services, 120–125 clients, 148 secret refresh, 149 secret update,
/// 050 /auth/token, 056 /auth/introspection, 057 /auth/introspection/standard, 126 requestable scopes, 127 end-user grants, 150 secret list, 151 secret revoke, 160–162 API tokens, 170 audit, 180–182 keys,
/// 183 master keys, 190–197 webhooks, 152 leak reports, 153 secret format, 154 GitHub secret-scanning reports.
/// </summary>
public static class ResultCodes
{
    // ---- 000: common to every endpoint -------------------------------------------------------------
    /// <summary>An unexpected server error; the message carries the request ID for the logs.</summary>
    public static readonly ResultCode InternalError = new("A000101", 500, "An unexpected server error occurred (request ID = {0}).");
    /// <summary>The store could not be reached; nothing was changed.</summary>
    public static readonly ResultCode StoreUnavailable = new("A000102", 503, "The store is unavailable; nothing was changed. Retry later.");
    /// <summary>A stored secret failed to decrypt (wrong key ring, tampered or moved ciphertext).</summary>
    public static readonly ResultCode StoredSecretUnreadable = new("A000103", 500, "A stored secret of the client (ID = {0}) could not be decrypted; the server log has the details (request ID = {1}).");
    /// <summary>
    /// The connection to the database was lost while the change was being committed, and whether the COMMIT happened
    /// could not be established: the change may or may not have been made. Unlike A000102, the caller must read the
    /// state back before it retries.
    /// </summary>
    public static readonly ResultCode StoreOutcomeUnknown = new("A000104", 503, "The store lost its connection while committing; the change may or may not have been made. Read the current state back before retrying (request ID = {0}).");
    /// <summary>The store's write queue is full; nothing was changed.</summary>
    public static readonly ResultCode StoreOverloaded = new("A000105", 503, "The store is overloaded; nothing was changed. Retry after {0} seconds.");
    /// <summary>No <c>Authorization: Bearer</c> header.</summary>
    public static readonly ResultCode MissingAccessToken = new("A000201", 401, "The request carries no bearer access token.");
    /// <summary>A bearer token that matches no organisation or API token.</summary>
    public static readonly ResultCode UnknownAccessToken = new("A000202", 401, "The bearer access token is not valid.");
    /// <summary>A known token without the permission the endpoint needs.</summary>
    public static readonly ResultCode PermissionDenied = new("A000203", 403, "The access token lacks the permission '{0}'.");
    /// <summary>A service token used on another service.</summary>
    public static readonly ResultCode WrongService = new("A000204", 403, "The access token is not valid for service {0}.");
    /// <summary>The body is not syntactically valid JSON.</summary>
    public static readonly ResultCode MalformedJson = new("A000205", 400, "The request body is not well-formed JSON (line {0}, byte {1}).");
    /// <summary>A content type other than JSON or form-urlencoded.</summary>
    public static readonly ResultCode UnsupportedContentType = new("A000206", 415, "The content type '{0}' is not supported; use application/json or application/x-www-form-urlencoded.");
    /// <summary>The body is larger than the configured limit.</summary>
    public static readonly ResultCode BodyTooLarge = new("A000207", 413, "The request body exceeds {0} bytes.");
    /// <summary>The JSON body is valid but not an object.</summary>
    public static readonly ResultCode BodyNotObject = new("A000208", 400, "The request body must be a JSON object.");
    /// <summary>A body is required and none was sent.</summary>
    public static readonly ResultCode MissingBody = new("A000209", 400, "The request body is missing.");
    /// <summary>Unknown service (or a service the caller cannot see).</summary>
    public static readonly ResultCode ServiceNotFound = new("A000210", 404, "The service '{0}' was not found.");
    /// <summary>Unknown client within the service.</summary>
    public static readonly ResultCode ClientNotFound = new("A000211", 404, "The client '{0}' was not found in the service {1}.");
    /// <summary>A paging or filter query parameter that is not a non-negative integer.</summary>
    public static readonly ResultCode InvalidQueryParameter = new("A000212", 400, "The query parameter '{0}' must be an integer between 0 and {1}.");
    /// <summary>A property whose JSON type does not match the document schema.</summary>
    public static readonly ResultCode InvalidPropertyType = new("A000213", 400, "The property '{0}' has the wrong type.");
    /// <summary>An enum property whose value is not in the document's list.</summary>
    public static readonly ResultCode InvalidEnumValue = new("A000214", 400, "The value '{1}' is not allowed for '{0}'.");
    /// <summary>Unknown API token ID.</summary>
    public static readonly ResultCode ApiTokenNotFound = new("A000215", 404, "The API token '{0}' was not found.");
    /// <summary>A form field sent more than once where one value is expected.</summary>
    public static readonly ResultCode RepeatedFormField = new("A000216", 400, "The form field '{0}' must be given once.");
    /// <summary>No endpoint at this path.</summary>
    public static readonly ResultCode NoSuchEndpoint = new("A000217", 404, "There is no endpoint at '{0}'.");
    /// <summary>The path exists but not for this HTTP method.</summary>
    public static readonly ResultCode MethodNotAllowed = new("A000218", 405, "The method {0} is not allowed at '{1}'.");
    /// <summary>The request body came in below the server's minimum data rate (Kestrel's <c>MinRequestBodyDataRate</c>).</summary>
    public static readonly ResultCode RequestBodyTooSlow = new("A000219", 408, "The request body arrived too slowly; nothing was changed.");
    /// <summary>A request the HTTP server could not read (malformed framing, bad header); nothing was changed.</summary>
    public static readonly ResultCode BadRequest = new("A000220", 400, "The request could not be read: {0}.");

    // ---- 110–114: services -------------------------------------------------------------------------
    /// <summary>serviceName length rule.</summary>
    public static readonly ResultCode InvalidServiceName = new("A110201", 400, "'serviceName' must be 1 to {0} characters.");
    /// <summary>issuer URL rule.</summary>
    public static readonly ResultCode InvalidIssuer = new("A110202", 400, "'issuer' must be an absolute https URL (http only for localhost) without query or fragment.");

    /// <summary>clientSecretGracePeriod rule.</summary>
    public static readonly ResultCode InvalidGracePeriodSetting = new("A110203", 400, "'clientSecretGracePeriod' must be an integer between 0 and {0} seconds.");
    /// <summary>clientSecretLifetime rule.</summary>
    public static readonly ResultCode InvalidSecretLifetimeSetting = new("A110204", 400, "'clientSecretLifetime' must be an integer between 0 and {0} seconds.");
    /// <summary>A bad 'clientSecretExpiryWarnings' setting.</summary>
    public static readonly ResultCode InvalidExpiryWarningsSetting = new("A110208", 400, "'clientSecretExpiryWarnings' must be a list of at most {0} distinct integers between 1 and {1} seconds.");
    /// <summary>A bad 'clientSecretFormat' setting.</summary>
    public static readonly ResultCode InvalidSecretFormatSetting = new("A110209", 400, "'clientSecretFormat' must be one of: {0}.");
    /// <summary>A bad 'leakResponse' setting.</summary>
    public static readonly ResultCode InvalidLeakResponseSetting = new("A110210", 400, "'leakResponse' must be one of: {0}.");
    /// <summary>A bad 'clientRegistrationPolicy' setting.</summary>
    public static readonly ResultCode InvalidRegistrationPolicySetting = new("A110211", 400, "'clientRegistrationPolicy' must be one of: {0}.");
    /// <summary>'dynamicRegistrationSupported' and 'clientRegistrationPolicy' given together and saying different things.</summary>
    public static readonly ResultCode RegistrationSettingsContradict = new("A110212", 400,
        "'dynamicRegistrationSupported' is {0} but 'clientRegistrationPolicy' is {1}; give one of them, or both in agreement (CLOSED = false).");

    /// <summary>supportedScopes rule (RFC 6749 §3.3 scope-token).</summary>
    public static readonly ResultCode InvalidScopeName = new("A110205", 400, "'supportedScopes[{0}].name' must be 1 to 128 characters of RFC 6749 scope-token characters.");
    /// <summary>accessTokenDuration rule.</summary>
    public static readonly ResultCode InvalidAccessTokenDuration = new("A110206", 400, "'accessTokenDuration' must be an integer between 1 and {0} seconds.");
    /// <summary>A service text property (name, description) with a control character.</summary>
    public static readonly ResultCode ServiceTextControlCharacter = new("A110207", 400, "'{0}' must not contain control characters (U+0000 to U+001F, U+007F to U+009F).");

    // ---- 120–125: clients --------------------------------------------------------------------------
    /// <summary>clientName length rule.</summary>
    public static readonly ResultCode InvalidClientName = new("A120201", 400, "'clientName' must be at most {0} characters.");
    /// <summary>clientIdAlias syntax rule.</summary>
    public static readonly ResultCode InvalidClientIdAlias = new("A120202", 400, "'clientIdAlias' must be 1 to {0} characters of A-Z a-z 0-9 - . _ ~ : @, and not '.', '..' or 'list'.");
    /// <summary>Alias already taken by another client of the service.</summary>
    public static readonly ResultCode ClientIdAliasInUse = new("A120203", 400, "The client ID alias '{0}' is already used by another client of this service.");
    /// <summary>Alias equal to another client's numeric ID.</summary>
    public static readonly ResultCode ClientIdAliasIsClientId = new("A120204", 400, "The client ID alias '{0}' equals the client ID of another client of this service.");
    /// <summary>Redirect URI rule (RFC 6749 §3.1.2).</summary>
    public static readonly ResultCode InvalidRedirectUri = new("A120205", 400, "'redirectUris[{0}]' must be an absolute URI without a fragment.");
    /// <summary>developer length rule.</summary>
    public static readonly ResultCode InvalidDeveloper = new("A120206", 400, "'developer' must be at most {0} characters.");
    /// <summary>A client text property (name, developer, description) with a control character.</summary>
    public static readonly ResultCode ClientTextControlCharacter = new("A120207", 400, "'{0}' must not contain control characters (U+0000 to U+001F, U+007F to U+009F).");
    /// <summary>Lock flag changed.</summary>
    public static readonly ResultCode LockFlagUpdated = new("A125001", 200, "Successfully updated the lock flag of the client (ID = {0}) to {1}.");
    /// <summary>Lock flag request without a boolean clientLocked.</summary>
    public static readonly ResultCode InvalidLockFlag = new("A125201", 400, "'clientLocked' is required and must be true or false.");

    // ---- 050: Authlete /auth/token (client credentials) -------------------------------------------
    /// <summary>Token issued.</summary>
    public static readonly ResultCode TokenIssued = new("A050001", 200, "The token request (grant_type={0}) was processed successfully.");
    /// <summary>The token endpoint failed unexpectedly.</summary>
    public static readonly ResultCode TokenServerError = new("A050101", 200, "The token request could not be processed (request ID = {0}).");
    /// <summary>The API request has no 'parameters'.</summary>
    public static readonly ResultCode TokenParametersMissing = new("A050201", 400, "The request has no 'parameters'.");
    /// <summary>invalid_client: unknown client, wrong/expired/revoked secret, locked or public client, wrong method.</summary>
    public static readonly ResultCode TokenInvalidClient = new("A050301", 200, "Client authentication failed.");
    /// <summary>unsupported_grant_type.</summary>
    public static readonly ResultCode TokenUnsupportedGrantType = new("A050302", 200, "The grant type '{0}' is not supported.");
    /// <summary>invalid_request: grant_type missing, parameter repeated, two authentication methods, malformed parameters.</summary>
    public static readonly ResultCode TokenInvalidRequest = new("A050303", 200, "The token request is invalid: {0}.");
    /// <summary>unauthorized_client: the client may not use client_credentials.</summary>
    public static readonly ResultCode TokenUnauthorizedClient = new("A050304", 200, "The client is not allowed to use the grant type '{0}'.");
    /// <summary>invalid_scope.</summary>
    public static readonly ResultCode TokenInvalidScope = new("A050305", 200, "The requested scope '{0}' is not supported.");
    /// <summary>Too many failed client authentications (standard endpoint only).</summary>
    public static readonly ResultCode TokenTooManyFailures = new("A050306", 429, "Too many failed client authentications; retry after {0} seconds.");
    /// <summary>The same budget at Authlete's /auth/token: reported inside the envelope (action INVALID_CLIENT).</summary>
    public static readonly ResultCode TokenTooManyFailuresEnvelope = new("A050307", 200, "Too many failed client authentications for this client; retry after {0} seconds.");

    // ---- 056: Authlete /auth/introspection ---------------------------------------------------------
    /// <summary>Token active.</summary>
    public static readonly ResultCode IntrospectionActive = new("A056001", 200, "The access token is valid.");
    /// <summary>Introspection failed unexpectedly.</summary>
    public static readonly ResultCode IntrospectionServerError = new("A056101", 200, "Introspection could not be performed (request ID = {0}).");
    /// <summary>The API request has no 'token'.</summary>
    public static readonly ResultCode IntrospectionTokenMissing = new("A056201", 200, "The request has no 'token'.");
    /// <summary>Token not active: expired, forged, from another service, or its client deleted or locked.</summary>
    public static readonly ResultCode IntrospectionInactive = new("A056301", 200, "The access token is not active.");
    /// <summary>Token active but lacks a required scope or subject.</summary>
    public static readonly ResultCode IntrospectionInsufficient = new("A056302", 200, "The access token does not cover the required {0}.");

    // ---- 057: Authlete /auth/introspection/standard ------------------------------------------------
    /// <summary>An RFC 7662 introspection response was built (active or not); responseContent holds it.</summary>
    public static readonly ResultCode StandardIntrospectionDone = new("A057001", 200, "The introspection request was processed successfully.");
    /// <summary>Standard introspection failed unexpectedly.</summary>
    public static readonly ResultCode StandardIntrospectionServerError = new("A057101", 200, "The introspection request could not be processed (request ID = {0}).");
    /// <summary>The body has no 'parameters'.</summary>
    public static readonly ResultCode StandardIntrospectionParametersMissing = new("A057201", 400, "The request has no 'parameters'.");
    /// <summary>The relayed parameters carry no single 'token'.</summary>
    public static readonly ResultCode StandardIntrospectionTokenMissing = new("A057202", 200, "The introspection request must carry exactly one 'token'.");

    // ---- 126–127: requestable scopes and end-user grants of a client -------------------------------
    /// <summary>'requestableScopes' is missing or not an array of scope names.</summary>
    public static readonly ResultCode InvalidRequestableScopes = new("A126201", 400, "'requestableScopes' is required and must be an array of scope names.");
    /// <summary>
    /// Authlete's client/authorization and client/granted_scopes APIs manage what end users granted to a client. Rekey
    /// issues tokens only through the client credentials grant and keeps no end-user grants, so there is nothing to list,
    /// change or delete: 501, the route is known and will not do anything else.
    /// </summary>
    public static readonly ResultCode NoEndUserGrants = new("A127101", 501, "Rekey keeps no end-user grants (it has only the client credentials grant), so '{0}' is not available.");

    // ---- 148–149: client secrets ------------------------------------------------------------------
    /// <summary>Secret refreshed (fixed by Authlete).</summary>
    public static readonly ResultCode SecretRefreshed = new("A148001", 200, "Successfully refreshed the client secret of the client (ID = {0}).");
    /// <summary>Secret updated (fixed by Authlete).</summary>
    public static readonly ResultCode SecretUpdated = new("A149001", 200, "Successfully updated the client secret of the client (ID = {0}).");
    /// <summary>No clientSecret property or form field.</summary>
    public static readonly ResultCode SecretMissing = new("A149201", 400, "The request has no 'clientSecret'.");
    /// <summary>clientSecret is null or not a string.</summary>
    public static readonly ResultCode SecretNotString = new("A149202", 400, "'clientSecret' must be a string.");
    /// <summary>clientSecret is the empty string.</summary>
    public static readonly ResultCode SecretEmpty = new("A149203", 400, "'clientSecret' must not be empty.");
    /// <summary>clientSecret longer than 86 characters.</summary>
    public static readonly ResultCode SecretTooLong = new("A149204", 400, "'clientSecret' is {0} characters long; the maximum is {1}.");
    /// <summary>clientSecret with a character outside A-Z a-z 0-9 - _.</summary>
    public static readonly ResultCode SecretIllegalCharacter = new("A149205", 400, "'clientSecret' has an illegal character at position {0} (1-based); allowed are A-Z, a-z, 0-9, '-' and '_'.");

    /// <summary>Per-call grace period (update body or refresh query) out of range.</summary>
    public static readonly ResultCode InvalidGracePeriod = new("A149206", 400, "'gracePeriod' must be an integer between 0 and {0} seconds.");

    // ---- 150–151: secret list and revoke (Rekey extensions) ---------------------------------------
    /// <summary>Secrets listed.</summary>
    public static readonly ResultCode SecretsListed = new("A150001", 200, "Listed the secrets of the client (ID = {0}).");
    /// <summary>A previous secret revoked.</summary>
    public static readonly ResultCode SecretRevoked = new("A151001", 200, "Revoked the secret {0} of the client (ID = {1}).");
    /// <summary>Attempt to revoke the current secret.</summary>
    public static readonly ResultCode CannotRevokeCurrentSecret = new("A151201", 400, "The secret {0} is the client's current secret; update or refresh the secret instead of revoking it.");
    /// <summary>Unknown secret ID for the client.</summary>
    public static readonly ResultCode SecretNotFound = new("A151202", 404, "The secret '{0}' was not found for the client {1}.");

    // ---- 152: leak reports (Rekey extension) -------------------------------------------------------
    /// <summary>The reported value is a live secret: what was done is in the matches.</summary>
    public static readonly ResultCode LeakActedOn = new("A152001", 200, "The value is a secret of {0} client(s); the service's leak response was applied.");
    /// <summary>The answer to a report-only caller, the same whether or not the value was a secret.</summary>
    public static readonly ResultCode LeakReceived = new("A152002", 200, "The report was received.");
    /// <summary>The value is no live secret of the services the caller may see: nothing was changed.</summary>
    public static readonly ResultCode LeakNoMatch = new("A152003", 200, "The value is not a live secret here; nothing was changed.");
    /// <summary>A bad 'url' in a leak report.</summary>
    public static readonly ResultCode InvalidLeakUrl = new("A152201", 400, "'url' must be a string of at most {0} characters without control characters.");

    // ---- 153: secret format (Rekey extension) ------------------------------------------------------
    /// <summary>The identifiable secret format of this deployment.</summary>
    public static readonly ResultCode SecretFormatDescribed = new("A153001", 200, "Secrets in the IDENTIFIABLE format of this deployment start with '{0}'.");

    // ---- 154: GitHub secret-scanning partner reports (Rekey extension) -----------------------------
    /// <summary>Missing headers, an unknown key identifier or a signature that does not verify: nothing was read.</summary>
    public static readonly ResultCode GitHubSignatureInvalid = new("A154201", 401, "The report is not signed by a GitHub secret-scanning key configured here.");
    /// <summary>A signed body that is not GitHub's report format.</summary>
    public static readonly ResultCode GitHubReportMalformed = new("A154202", 400, "The report must be a JSON array of 1 to {0} objects with a string 'token'.");
    /// <summary>No public keys are configured: the endpoint is off.</summary>
    public static readonly ResultCode GitHubReportsOff = new("A154203", 404, "GitHub secret-scanning reports are not enabled on this server (Rekey:Leaks:GitHub:PublicKeys).");

    // ---- 155–157: initial access tokens of dynamic client registration (Rekey extension) -------------
    /// <summary>A bad 'expiresIn' of an initial access token.</summary>
    public static readonly ResultCode InitialAccessTokenInvalidExpiry = new("A155201", 400, "'expiresIn' must be an integer between 1 and {0} seconds.");
    /// <summary>A bad 'description' of an initial access token.</summary>
    public static readonly ResultCode InitialAccessTokenInvalidDescription = new("A155202", 400, "'description' must be at most {0} characters without control characters.");
    /// <summary>A registration's initial access token is missing, unknown, expired, revoked or used up (RFC 6750 invalid_token at the endpoint).</summary>
    public static readonly ResultCode InitialAccessTokenInvalid = new("A158201", 401, "The initial access token is not valid for the service {0} (missing, unknown, expired, revoked or used up).");
    /// <summary>No such initial access token in the service.</summary>
    public static readonly ResultCode InitialAccessTokenNotFound = new("A157201", 404, "The initial access token '{0}' was not found in the service {1}.");

    // ---- 159: registration access tokens (Rekey extension) ------------------------------------------
    /// <summary>A registered client's registration access token replaced by the operator.</summary>
    public static readonly ResultCode RegistrationTokenRefreshed = new("A159001", 200, "Issued a new registration access token for the client (ID = {0}); the previous one no longer works.");
    /// <summary>The client was created through /api: it has no registration to manage.</summary>
    public static readonly ResultCode ClientNotRegistered = new("A159201", 400, "The client {0} was not registered dynamically; it has no registration access token.");

    // ---- 202, 213, 216, 217: Authlete's dynamic client registration API -------------------------------
    /// <summary>A client registered (action CREATED).</summary>
    public static readonly ResultCode RegistrationCreated = new("A202001", 200, "The client was created with id {0}.");
    /// <summary>The client's metadata broke a rule (action BAD_REQUEST; the RFC 7591 error is in responseContent).</summary>
    public static readonly ResultCode RegistrationMetadataInvalid = new("A202301", 200, "The client metadata is not acceptable: {0}.");
    /// <summary>A redirect URI that is not absolute or has a fragment (RFC 7591 invalid_redirect_uri).</summary>
    public static readonly ResultCode RegistrationRedirectUriInvalid = new("A202303", 200, "The redirect URIs are not acceptable: {0}.");
    /// <summary>A software statement, which Rekey does not accept (RFC 7591 unapproved_software_statement).</summary>
    public static readonly ResultCode RegistrationSoftwareStatementRefused = new("A202304", 200, "Software statements are not accepted by this server; register without one.");
    /// <summary>The service does not allow dynamic registration (action BAD_REQUEST).</summary>
    public static readonly ResultCode RegistrationClosed = new("A202302", 200, "Dynamic client registration is not enabled for the service {0} (clientRegistrationPolicy = CLOSED).");
    /// <summary>The registration could not be processed (action INTERNAL_SERVER_ERROR).</summary>
    public static readonly ResultCode RegistrationServerError = new("A202101", 200, "The registration request could not be processed (request ID = {0}).");
    /// <summary>A registered client's metadata updated (action UPDATED).</summary>
    public static readonly ResultCode RegistrationUpdated = new("A213001", 200, "The client has been updated.");
    /// <summary>The registration access token does not belong to the client, or the client does not exist (action UNAUTHORIZED, or BAD_REQUEST without unauthorizedOnClientConfigSupported).</summary>
    public static readonly ResultCode RegistrationUpdateUnauthorized = new("A213301", 200, "The registration access token is not valid for the client '{0}'.");
    /// <summary>An update whose client_id or client_secret is not the client's (RFC 7592 §2.2; action BAD_REQUEST).</summary>
    public static readonly ResultCode RegistrationUpdateMismatch = new("A213302", 200, "'{0}' in the update must be the client's current one.");
    /// <summary>The update could not be processed (action INTERNAL_SERVER_ERROR).</summary>
    public static readonly ResultCode RegistrationUpdateServerError = new("A213101", 200, "The update request could not be processed (request ID = {0}).");
    /// <summary>The delete could not be processed (action INTERNAL_SERVER_ERROR).</summary>
    public static readonly ResultCode RegistrationDeleteServerError = new("A216101", 200, "The delete request could not be processed (request ID = {0}).");
    /// <summary>The read could not be processed (action INTERNAL_SERVER_ERROR).</summary>
    public static readonly ResultCode RegistrationReadServerError = new("A217101", 200, "The read request could not be processed (request ID = {0}).");
    /// <summary>A registered client deleted (action DELETED).</summary>
    public static readonly ResultCode RegistrationDeleted = new("A216001", 200, "The client has been deleted.");
    /// <summary>Delete with a registration access token that is not the client's.</summary>
    public static readonly ResultCode RegistrationDeleteUnauthorized = new("A216301", 200, "The registration access token is not valid for the client '{0}'.");
    /// <summary>A registered client's information returned (action OK).</summary>
    public static readonly ResultCode RegistrationRead = new("A217001", 200, "The client information has been returned.");
    /// <summary>Get with a registration access token that is not the client's.</summary>
    public static readonly ResultCode RegistrationReadUnauthorized = new("A217301", 200, "The registration access token is not valid for the client '{0}'.");

    // ---- 170: audit (Rekey extension) --------------------------------------------------------------
    /// <summary>Unknown action name in the audit filter.</summary>
    public static readonly ResultCode InvalidAuditAction = new("A170201", 400, "'action' must be one of: {0}.");

    // ---- 180: encryption keys (Rekey extension) ----------------------------------------------------
    /// <summary>Data key rotated and secrets re-encrypted.</summary>
    public static readonly ResultCode DataKeyRotated = new("A180001", 200, "Rotated the data encryption key to {0}; re-encrypted {1} stored values, {2} remain under older keys.");
    /// <summary>A service's access-token signing key rotated.</summary>
    public static readonly ResultCode SigningKeyRotated = new("A182001", 200,
        "Rotated the signing key of the service {0}; new key ID {1}, published in the JWKS now, signing from its activatesAt. The previous key stays published until the tokens it signed have expired.");
    /// <summary>A service's signing keys and their schedules listed.</summary>
    public static readonly ResultCode SigningKeysListed = new("A182002", 200, "Listed {0} signing keys of the service {1}.");
    /// <summary>A rotation while the key of the previous one is still waiting to sign.</summary>
    public static readonly ResultCode SigningKeyStillPending = new("A182201", 409,
        "The service {0} already has a signing key waiting to sign ({1}, from {2}). Rotate again once it has become active.");
    /// <summary>An interrupted rotation finished: values re-encrypted under the current data key, no key added.</summary>
    public static readonly ResultCode DataKeyReencrypted = new("A180002", 200, "Re-encrypted {1} stored values under the current data key {0}; {2} remain under older keys.");
    /// <summary>A new data key would not be wrapped under every master key in use: this node lacks some of them.</summary>
    public static readonly ResultCode DataKeyMasterKeysMissing = new("A180201", 409, "A new data key must be wrapped under every master key in use; this node does not have {0}.");
    /// <summary>Key status listed.</summary>
    public static readonly ResultCode DataKeysListed = new("A181001", 200, "Listed {0} data encryption keys.");

    // ---- 183: master keys (Rekey extension) --------------------------------------------------------
    /// <summary>Data keys wrapped under every master key configured on this node.</summary>
    public static readonly ResultCode MasterKeysRewrapped = new("A183001", 200, "Added {0} wrappings of data keys under the master key(s) {1}; the older wrappings stay until their master key is retired.");
    /// <summary>A master key retired: its wrappings deleted, it opens nothing any more.</summary>
    public static readonly ResultCode MasterKeyRetired = new("A183002", 200, "Retired the master key {0}: removed its wrappings of {1} data keys.");
    /// <summary>Retiring would leave a data key that no other master key configured here opens.</summary>
    public static readonly ResultCode MasterKeyStillNeeded = new("A183201", 409, "The master key '{0}' cannot be retired: the data key(s) {1} open with no other master key configured on this node. Rewrap them first.");
    /// <summary>Unknown master key ID.</summary>
    public static readonly ResultCode MasterKeyNotFound = new("A183202", 404, "The master key '{0}' wraps no data key of this database.");

    // ---- 184: service discovery (Authlete's service/configuration and service/jwks/get) -------------
    /// <summary>The 'patch' parameter of service/configuration.</summary>
    public static readonly ResultCode ConfigurationPatchUnsupported = new("A184201", 400, "'patch' (a JSON Patch applied to the configuration) is not supported by Rekey.");
    /// <summary>includePrivateKeys=true on service/jwks/get.</summary>
    public static readonly ResultCode PrivateKeysNeverReturned = new("A184202", 400, "Rekey never returns private keys: 'includePrivateKeys' must be false or absent.");

    // ---- 160–162: API tokens -----------------------------------------------------------------------
    /// <summary>Token create names no existing service.</summary>
    public static readonly ResultCode ApiTokenServiceUnknown = new("A160201", 400, "'serviceId' must name an existing service.");
    /// <summary>Token create with no or unknown permissions.</summary>
    public static readonly ResultCode ApiTokenInvalidPermissions = new("A160202", 400, "'permissions' must be a non-empty list of: {0}.");
    /// <summary>Token description rule.</summary>
    public static readonly ResultCode ApiTokenInvalidDescription = new("A160203", 400, "'description' must be at most {0} characters.");

    // ---- 190–197: webhooks (Rekey extension) -------------------------------------------------------
    /// <summary>A webhook URL Rekey will not send to.</summary>
    public static readonly ResultCode WebhookInvalidUrl = new("A190201", 400, "'url' is not acceptable: {0}.");
    /// <summary>An unknown event type in 'events'.</summary>
    public static readonly ResultCode WebhookInvalidEvents = new("A190202", 400, "'events' must be a list of: {0}.");
    /// <summary>Webhook description rule.</summary>
    public static readonly ResultCode WebhookInvalidDescription = new("A190203", 400, "'description' must be at most {0} characters, without control characters.");
    /// <summary>Too many webhooks in one service.</summary>
    public static readonly ResultCode WebhookLimitReached = new("A190204", 409, "The service {0} already has {1} webhooks, the most it may have.");
    /// <summary>Unknown webhook ID in the service.</summary>
    public static readonly ResultCode WebhookNotFound = new("A191201", 404, "The webhook '{0}' was not found in the service {1}.");
    /// <summary>A test event queued.</summary>
    public static readonly ResultCode WebhookTestQueued = new("A194001", 200, "Queued a webhook.test event for the webhook {0} (event ID = {1}).");
    /// <summary>Unknown delivery ID in the service.</summary>
    public static readonly ResultCode WebhookDeliveryNotFound = new("A196201", 404, "The webhook delivery '{0}' was not found in the service {1}.");
    /// <summary>A delivery queued again.</summary>
    public static readonly ResultCode WebhookRedeliveryQueued = new("A196001", 200, "Queued the event {0} again for the webhook {1}, with a fresh retry schedule.");
    /// <summary>A signing secret rotation with a bad grace period.</summary>
    public static readonly ResultCode WebhookInvalidGracePeriod = new("A197201", 400, "'gracePeriod' must be an integer between 0 and {0} seconds.");

    /// <summary>Every entry of the catalogue, in declaration order.</summary>
    public static IReadOnlyList<ResultCode> All { get; } = typeof(ResultCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(ResultCode))
        .Select(f => (ResultCode)f.GetValue(null)!)
        .ToArray();
}
