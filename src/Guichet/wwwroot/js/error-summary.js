// Moves the focus to the error summary of a failed submit, so that a screen reader reads it first (RGAA 11.10).
(function () {
    var summary = document.getElementById('resume-erreurs');
    if (summary) summary.focus();
})();
