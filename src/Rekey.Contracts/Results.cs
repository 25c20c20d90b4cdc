namespace Rekey.Contracts;

/// <summary>Authlete's error and simple-result body: <c>{"resultCode": "A…", "resultMessage": "[A…] …"}</c>.</summary>
public sealed record ResultResponse
{
    /// <summary>The catalogue code.</summary>
    public required string ResultCode { get; init; }

    /// <summary>The message, prefixed with the code in brackets.</summary>
    public required string ResultMessage { get; init; }

    /// <summary>Builds the body for <paramref name="code"/> with its template filled from <paramref name="args"/>.</summary>
    public static ResultResponse Of(ResultCode code, params object?[] args) =>
        new() { ResultCode = code.Code, ResultMessage = code.Format(args) };

    /// <summary>Builds the body for a broken rule.</summary>
    public static ResultResponse Of(RuleViolation violation) =>
        new() { ResultCode = violation.Code.Code, ResultMessage = violation.Message };
}

/// <summary>Request of <c>POST /api/{serviceId}/client/lock_flag/update/{clientIdentifier}</c>.</summary>
public sealed record ClientFlagUpdateRequest
{
    /// <summary>True to lock the client, false to unlock it.</summary>
    public bool? ClientLocked { get; init; }
}

/// <summary>Paging envelope shared by the list endpoints: <c>start</c> inclusive, <c>end</c> exclusive.</summary>
public abstract record ListResponse
{
    /// <summary>Start index (inclusive).</summary>
    public int Start { get; init; }

    /// <summary>End index (exclusive).</summary>
    public int End { get; init; }

    /// <summary>How many items exist in all, not how many this page carries.</summary>
    public int TotalCount { get; init; }
}

/// <summary>Response of <c>GET /api/{serviceId}/client/get/list</c>.</summary>
public sealed record ClientListResponse : ListResponse
{
    /// <summary>The clients of the page.</summary>
    public IReadOnlyList<ClientDocument> Clients { get; init; } = [];
}

/// <summary>Response of <c>GET /api/service/get/list</c>.</summary>
public sealed record ServiceListResponse : ListResponse
{
    /// <summary>The services of the page.</summary>
    public IReadOnlyList<ServiceDocument> Services { get; init; } = [];
}
