using Rekey.Contracts;

namespace Rekey.Sdk;

public sealed partial class RekeyClient
{
    /// <summary>
    /// Rotates the data encryption key: adds a new key and re-encrypts every stored value (client secrets, signing
    /// keys) under it (<c>POST /api/keys/rotate</c>; Rekey extension, organisation token). Success is result code
    /// <c>A180001</c> with <see cref="DataKeysResponse.Reencrypted"/> and every key with the values it still seals.
    /// The server keeps serving meanwhile. If the call is interrupted (timeout, network, restart), finish with
    /// <see cref="ReencryptStoredValuesAsync"/> rather than rotating again.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<DataKeysResponse>> RotateDataKeyAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "api/keys/rotate", null, Json.DataKeysResponse, cancellationToken);

    /// <summary>
    /// Finishes an interrupted rotation: re-encrypts under the current data key every value still under an older
    /// one (<c>POST /api/keys/reencrypt</c>; Rekey extension, organisation token). Success is result code
    /// <c>A180002</c>; calling it when nothing is left to do is harmless (<see cref="DataKeysResponse.Reencrypted"/> 0).
    /// </summary>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<DataKeysResponse>> ReencryptStoredValuesAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "api/keys/reencrypt", null, Json.DataKeysResponse, cancellationToken);

    /// <summary>
    /// Lists the data encryption keys, newest first, with the number of stored values each still seals, and the master
    /// keys with the data keys each wraps (<c>GET /api/keys/get/list</c>; Rekey extension, organisation token). Success
    /// is result code <c>A181001</c>. Never key material.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<DataKeysResponse>> ListDataKeysAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/keys/get/list", null, Json.DataKeysResponse, cancellationToken);

    /// <summary>
    /// Wraps every data key under every master key configured on the answering node as well
    /// (<c>POST /api/keys/rewrap</c>; Rekey extension, organisation token): the step that puts a newly configured
    /// master key to use. Success is result code <c>A183001</c>; older wrappings stay until their master key is retired.
    /// Running it again is harmless.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<DataKeysResponse>> RewrapDataKeysAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "api/keys/rewrap", null, Json.DataKeysResponse, cancellationToken);

    /// <summary>
    /// Retires a master key: deletes its wrappings of the data keys (<c>POST /api/keys/masters/retire/{masterKeyId}</c>;
    /// Rekey extension, organisation token). Success is result code <c>A183002</c>. Refused with <c>A183201</c> (409,
    /// nothing changed) while some data key opens with no other master key configured on the answering node, and
    /// <c>A183202</c> (404) for an ID that wraps nothing.
    /// </summary>
    /// <param name="masterKeyId">The master key's ID.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<DataKeysResponse>> RetireMasterKeyAsync(string masterKeyId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/keys/masters/retire/{Segment(masterKeyId, nameof(masterKeyId))}", null, Json.DataKeysResponse, cancellationToken);

    /// <summary>
    /// Rotates a service's signing key: a new ES256 key is published in the JWKS at once and signs the access tokens
    /// after the server's activation delay; the key it replaces stays published until the tokens it signed have expired
    /// (<c>POST /api/{serviceId}/signing_key/rotate</c>; Rekey extension, permission <c>service.write</c>). Success
    /// is result code <c>A182001</c>, naming the new key ID; <c>A182201</c> (409) while the key of an earlier rotation
    /// is still waiting to sign. The body also lists every key's schedule (see <see cref="ListSigningKeysAsync"/>).
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<SigningKeysResponse>> RotateSigningKeyAsync(long serviceId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/{serviceId}/signing_key/rotate", null, Json.SigningKeysResponse, cancellationToken);

    /// <summary>
    /// Lists a service's signing keys, newest first, each with its status (<c>published</c>, <c>active</c>,
    /// <c>retiring</c>) and schedule (<c>GET /api/{serviceId}/signing_key/get/list</c>; Rekey extension, permission
    /// <c>service.read</c>). Success is result code <c>A182002</c>.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<SigningKeysResponse>> ListSigningKeysAsync(long serviceId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/{serviceId}/signing_key/get/list", null, Json.SigningKeysResponse, cancellationToken);
}
