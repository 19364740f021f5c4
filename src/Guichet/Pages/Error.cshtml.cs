using Guichet.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Pages;

/// <summary>French error page for bare status codes (404, 400, 403…); it reveals nothing of the internals.</summary>
[IgnoreAntiforgeryToken]
public sealed class ErrorModel : PageModel
{
    public string Title { get; private set; } = "";
    public string Message { get; private set; } = "";

    public void OnGet(int? code) => Fill(code);
    public void OnPost(int? code) => Fill(code);

    private void Fill(int? code)
    {
        var status = code is >= 400 and < 600 ? code.Value : 404;
        if (status == 404) { Title = "Page introuvable"; Message = "La page demandée n'existe pas ou ne vous est pas accessible."; }
        else if (status == 400) { Title = "Requête invalide"; Message = "La requête n'a pas pu être traitée : le formulaire a peut-être expiré. Rechargez la page et recommencez."; }
        else { Title = Problems.TitleFor(status); Message = ErrorHandling.DetailFor(status); }
        Response.StatusCode = status;
    }
}
