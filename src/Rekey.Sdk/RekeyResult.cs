using System.Diagnostics.CodeAnalysis;

namespace Rekey.Sdk;

/// <summary>
/// The outcome of a call that returns a value: either <see cref="Value"/> (when <see cref="IsSuccess"/>) or
/// <see cref="Error"/>. Failures are values, not exceptions; only cancellation by the caller and programming errors
/// throw.
/// </summary>
/// <typeparam name="T">The response record from <c>Rekey.Contracts</c>.</typeparam>
public sealed class RekeyResult<T>
    where T : class
{
    /// <summary>A successful result.</summary>
    /// <param name="value">The deserialised response.</param>
    /// <param name="httpStatus">The HTTP status received.</param>
    /// <param name="body">The response body as received.</param>
    public RekeyResult(T value, int httpStatus, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(value);
        Value = value;
        HttpStatus = httpStatus;
        Body = body;
    }

    /// <summary>A failed result.</summary>
    /// <param name="error">Why the call failed.</param>
    /// <param name="body">The response body as received; when empty, <see cref="RekeyError.RawBody"/> is used.</param>
    public RekeyResult(RekeyError error, ReadOnlyMemory<byte> body = default)
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = error;
        HttpStatus = error.IsLocal ? 0 : error.HttpStatus;
        Body = body.IsEmpty && error.RawBody is not null ? System.Text.Encoding.UTF8.GetBytes(error.RawBody) : body;
    }

    /// <summary>True when the call succeeded and <see cref="Value"/> holds the response.</summary>
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    /// <summary>The response, when <see cref="IsSuccess"/>; otherwise <see langword="null"/>.</summary>
    public T? Value { get; }

    /// <summary>Why the call failed, when not <see cref="IsSuccess"/>; otherwise <see langword="null"/>.</summary>
    public RekeyError? Error { get; }

    /// <summary>The HTTP status received; 0 when no request was answered (network failure, or refused locally).</summary>
    public int HttpStatus { get; }

    /// <summary>
    /// The response body exactly as received (empty when there was none), for callers that pass the server's JSON on
    /// unchanged. It may hold secrets; it is never part of <see cref="ToString"/>.
    /// </summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>Describes the outcome without any secret: the value's own redacting <c>ToString()</c>, or the error.</summary>
    public override string ToString() => IsSuccess
        ? $"RekeyResult<{typeof(T).Name}> {{ HttpStatus = {HttpStatus}, Value = {Value} }}"
        : $"RekeyResult<{typeof(T).Name}> {{ Error = {Error} }}";
}

/// <summary>
/// The outcome of a call that returns no value (the deletes answered with HTTP 204; revoking a secret answers with a
/// body and returns a <see cref="RekeyResult{T}"/>): success, or <see cref="Error"/>.
/// </summary>
public sealed class RekeyResult
{
    /// <summary>A successful result.</summary>
    /// <param name="httpStatus">The HTTP status received.</param>
    public RekeyResult(int httpStatus)
    {
        HttpStatus = httpStatus;
    }

    /// <summary>A failed result.</summary>
    /// <param name="error">Why the call failed.</param>
    /// <param name="body">The response body as received; when empty, <see cref="RekeyError.RawBody"/> is used.</param>
    public RekeyResult(RekeyError error, ReadOnlyMemory<byte> body = default)
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = error;
        HttpStatus = error.IsLocal ? 0 : error.HttpStatus;
        Body = body.IsEmpty && error.RawBody is not null ? System.Text.Encoding.UTF8.GetBytes(error.RawBody) : body;
    }

    /// <summary>True when the call succeeded.</summary>
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    /// <summary>Why the call failed, when not <see cref="IsSuccess"/>; otherwise <see langword="null"/>.</summary>
    public RekeyError? Error { get; }

    /// <summary>The HTTP status received; 0 when no request was answered.</summary>
    public int HttpStatus { get; }

    /// <summary>The response body as received; empty on success (204 has none).</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <inheritdoc />
    public override string ToString() => IsSuccess
        ? $"RekeyResult {{ HttpStatus = {HttpStatus} }}"
        : $"RekeyResult {{ Error = {Error} }}";
}
