using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rekey.Contracts;
using Rekey.Server.Storage;

namespace Rekey.Server.Events;

/// <summary>Which lifecycle event a successful change writes, and the small JSON objects events carry.</summary>
internal static class ChangeEvents
{
    /// <summary>The event of an audited action that succeeded; null for actions without one (services, keys, API tokens).</summary>
    public static string? TypeOf(string action) => action switch
    {
        AuditActions.SecretUpdate => EventTypes.SecretUpdated,
        AuditActions.SecretRefresh => EventTypes.SecretRefreshed,
        AuditActions.SecretRevoke => EventTypes.SecretRevoked,
        AuditActions.SecretLeak => EventTypes.SecretLeaked,
        AuditActions.ClientCreate => EventTypes.ClientCreated,
        AuditActions.ClientUpdate => EventTypes.ClientUpdated,
        AuditActions.ClientDelete => EventTypes.ClientDeleted,
        AuditActions.ClientLock => EventTypes.ClientLocked,
        AuditActions.ClientUnlock => EventTypes.ClientUnlocked,
        AuditActions.WebhookDisable => EventTypes.WebhookDisabled,
        _ => null,
    };

    /// <summary>
    /// A fresh event ID: the <c>webhook-id</c> of every delivery of the event, so receivers can drop duplicates. The time
    /// of the change (ms, 12 hex digits) then 64 random bits: IDs made later sort later, so the outbox's primary key
    /// grows at its end instead of at a random page per change.
    /// </summary>
    public static string NewEventId(long at) =>
        "evt_" + at.ToString("x12", System.Globalization.CultureInfo.InvariantCulture) + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>How a webhook's event filter is stored: space-padded (matched with LIKE '% type %'), empty for every type.</summary>
    public static string EncodeFilter(IReadOnlyList<string> types) => types.Count == 0 ? "" : " " + string.Join(' ', types) + " ";

    public static IReadOnlyList<string> DecodeFilter(string stored) => stored.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    public static string FilterPattern(string type) => "% " + type + " %";

    /// <summary>A JSON object of the given fields, nulls left out; values are strings, numbers or booleans.</summary>
    public static string? Data(params (string Name, object? Value)[] fields)
    {
        if (fields.All(f => f.Value is null))
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (name, value) in fields)
            {
                switch (value)
                {
                    case null:
                        break;
                    case string text:
                        json.WriteString(name, text);
                        break;
                    case long number:
                        json.WriteNumber(name, number);
                        break;
                    case int number:
                        json.WriteNumber(name, number);
                        break;
                    case bool flag:
                        json.WriteBoolean(name, flag);
                        break;
                    default:
                        throw new ArgumentException($"Unsupported event field type for {name}.", nameof(fields));
                }
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// The body of a delivery, Standard Webhooks' <c>{"type", "timestamp", "data"}</c>: <c>data</c> holds the event's ID,
    /// service, client, secret, audit event and per-client sequence number, then the type's own fields. Built the same
    /// way on every attempt.
    /// </summary>
    public static byte[] Body(StoredEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", e.Type);
            json.WriteString("timestamp", DateTimeOffset.FromUnixTimeMilliseconds(e.OccurredAt).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteStartObject("data");
            json.WriteString("eventId", e.EventId);
            json.WriteNumber("serviceId", e.ServiceId);
            Optional(json, "clientId", e.ClientId);
            Optional(json, "secretId", e.SecretId);
            Optional(json, "auditEventId", e.AuditEventId);
            Optional(json, "sequence", e.Sequence);
            if (e.Data is { } data)
            {
                using var fields = JsonDocument.Parse(data);
                foreach (var field in fields.RootElement.EnumerateObject())
                {
                    field.WriteTo(json);
                }
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Optional(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
    }
}
