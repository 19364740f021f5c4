using Guichet.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Guichet.Tests.Data;

/// <summary>
/// The portal runs on the compiled models of src/Guichet/Data/CompiledModels (docs/architecture.md#modele-compile): each
/// must be found for its context, and must be the model OnModelCreating builds today. When this fails, run
/// tools/compiled-models.sh.
/// </summary>
public sealed class CompiledModelTests
{
    public static TheoryData<string> Providers => new() { "Sqlite", "Postgres" };

    private static GuichetDbContext Context(string provider) => provider == "Sqlite"
        ? new SqliteGuichetDbContext(new DbContextOptionsBuilder<SqliteGuichetDbContext>().UseSqlite("Data Source=:memory:").Options)
        : new PostgresGuichetDbContext(new DbContextOptionsBuilder<PostgresGuichetDbContext>().UseNpgsql("Host=127.0.0.1;Database=modele").Options);

    [Theory]
    [MemberData(nameof(Providers))]
    public void The_context_runs_on_its_compiled_model(string provider)
    {
        using var db = Context(provider);
        Assert.Equal($"Guichet.Data.CompiledModels.{provider}.{provider}GuichetDbContextModel", db.Model.GetType().FullName);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void The_compiled_model_is_the_model_OnModelCreating_builds(string provider)
    {
        using var db = Context(provider);
        var built = db.GetService<IDesignTimeModel>().Model;
        Assert.NotSame(built, db.Model);
        var (expected, actual) = (Describe(built), Describe(db.Model));
        var first = Enumerable.Range(0, Math.Max(expected.Count, actual.Count))
            .FirstOrDefault(i => i >= expected.Count || i >= actual.Count || expected[i] != actual[i], -1);
        Assert.True(first < 0, first < 0 ? "" : "Le modèle compilé n'est plus celui du modèle : lancer tools/compiled-models.sh. Première différence :\n"
            + $"  modèle          : {expected.ElementAtOrDefault(first)}\n  modèle compilé  : {actual.ElementAtOrDefault(first)}");
    }

    // The schema (tables, columns and their store types, keys, foreign keys, indexes and their filters), then the entities:
    // properties and what EF does with them (converter, comparer, concurrency, generation, field), keys, navigations.
    private static List<string> Describe(IModel model) => model.GetRelationalModel().Tables.OrderBy(t => t.Name).SelectMany(t =>
        new[] { $"table {t.Name}" }
            .Concat(t.Columns.Select(c => $"  column {c.Name} {c.StoreType} null={c.IsNullable}"))
            .Concat(t.UniqueConstraints.Select(u => $"  unique {u.Name} {string.Join(",", u.Columns.Select(c => c.Name))} pk={u.GetIsPrimaryKey()}"))
            .Concat(t.ForeignKeyConstraints.Select(f => $"  fk {f.Name} {string.Join(",", f.Columns.Select(c => c.Name))} -> {f.PrincipalTable.Name} {f.OnDeleteAction}"))
            .Concat(t.Indexes.Select(i => $"  index {i.Name} {string.Join(",", i.Columns.Select(c => c.Name))} unique={i.IsUnique} filter={i.Filter}")))
        .Concat(model.GetEntityTypes().OrderBy(t => t.Name).SelectMany(t =>
        new[] { $"{t.Name} -> {t.GetTableName()}" }
            .Concat(t.GetProperties().Select(p => $"  {p.Name} {p.ClrType.Name} {p.GetColumnName()} null={p.IsNullable} "
                + $"conv={p.GetValueConverter()?.GetType().Name} provider={p.GetValueConverter()?.ProviderClrType.Name} cmp={p.GetValueComparer().GetType().Name} "
                + $"token={p.IsConcurrencyToken} gen={p.ValueGenerated} max={p.GetMaxLength()} access={p.GetPropertyAccessMode()} field={p.FieldInfo?.Name}"))
            .Concat(t.GetKeys().Select(k => $"  key {string.Join(",", k.Properties.Select(p => p.Name))}"))
            .Concat(t.GetForeignKeys().Select(f => $"  fk {string.Join(",", f.Properties.Select(p => p.Name))} -> {f.PrincipalEntityType.Name} {f.DeleteBehavior}"))
            .Concat(t.GetNavigations().Select(n => $"  nav {n.Name} -> {n.TargetEntityType.Name} field={n.FieldInfo?.Name}")))).ToList();
}
