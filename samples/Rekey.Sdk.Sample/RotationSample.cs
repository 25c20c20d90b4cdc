using Rekey.Contracts;

namespace Rekey.Sdk.Sample;

/// <summary>Create a client, then rotate its secret twice: once to a generated value, once to a value of our choosing.</summary>
public static class RotationSample
{
    public static async Task<int> RunAsync(RekeyClient rekey, long serviceId, TextWriter log, CancellationToken ct = default)
    {
        // 1. Create a confidential client; the server generates its ID and first secret.
        var created = await rekey.CreateClientAsync(serviceId, new ClientDocument
        {
            ClientName = "billing-worker",
            GrantTypes = ["CLIENT_CREDENTIALS"],
        }, ct);
        if (!created.IsSuccess)
        {
            // Failures are values: HTTP status, result code, message. Nothing was thrown.
            await log.WriteLineAsync($"create failed: {created.Error}");
            return 1;
        }

        var clientId = $"{created.Value.ClientId}";
        await log.WriteLineAsync($"created client {clientId}");

        // 2. Rotate to a generated secret (86 characters of base64url).
        var refreshed = await rekey.RefreshClientSecretAsync(serviceId, clientId, ct);
        if (!refreshed.IsSuccess)
        {
            await log.WriteLineAsync($"refresh failed: {refreshed.Error}");
            return 1;
        }

        await log.WriteLineAsync($"{refreshed.Value.ResultCode}: new secret has {refreshed.Value.NewClientSecret?.Length} characters");

        // 3. Rotate to a secret of our choosing. The SDK checks the secret rules first; this one breaks them, so no
        //    request is sent and the error carries the code the server would have answered with (A149205).
        var refused = await rekey.UpdateClientSecretAsync(serviceId, clientId, new ClientSecretUpdateRequest { ClientSecret = "not allowed!" }, ct);
        await log.WriteLineAsync($"refused locally: {refused.Error?.ResultCode} (local: {refused.Error?.IsLocal})");

        var updated = await rekey.UpdateClientSecretAsync(serviceId, clientId, new ClientSecretUpdateRequest { ClientSecret = "billing_2026-11_rotation" }, ct);
        if (!updated.IsSuccess)
        {
            await log.WriteLineAsync($"update failed: {updated.Error}");
            return 1;
        }

        // ToString() of results and responses never prints a secret.
        await log.WriteLineAsync(updated.ToString());
        return 0;
    }
}
