using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Guichet.Data;

/// <summary>
/// An EF compiled query, compiled once per model. The reads made at every request (the session check, the API token, a
/// list's first page) skip building the LINQ tree and looking it up in EF's query cache. EF refuses to run a compiled
/// query against a model other than the one it was compiled with, and one process may hold several (the tests run
/// SQLite and PostgreSQL hosts side by side), hence one per model. See docs/architecture.md, « Performances ».
/// </summary>
public sealed class PerModel<TQuery>(Func<TQuery> compile) where TQuery : class
{
    private readonly ConditionalWeakTable<IModel, TQuery> _byModel = new();

    public TQuery For(DbContext db) =>
        _byModel.TryGetValue(db.Model, out var query) ? query : _byModel.GetValue(db.Model, _ => compile());
}
