// The operation page's progress: polls the state every second and updates the bar and the status; once finished,
// reloads the page for its summary. Without script, the « Actualiser » link does the same.
(function () {
    var root = document.getElementById('operation');
    if (!root || root.dataset.termine === '1') return;
    var bar = document.getElementById('progression');
    var status = document.getElementById('statut-operation');
    function poll() {
        fetch(root.dataset.etat, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
            .then(function (r) { return r.ok ? r.json() : null; })
            .then(function (s) {
                if (!s) { setTimeout(poll, 3000); return; }
                bar.max = s.total;
                bar.value = s.traitees;
                bar.textContent = s.texte;
                if (s.terminee) { status.textContent = s.texte + ' — opération terminée.'; window.location.reload(); return; }
                status.textContent = s.texte + '.';
                setTimeout(poll, 1000);
            })
            .catch(function () { setTimeout(poll, 3000); });
    }
    setTimeout(poll, 1000);
})();
