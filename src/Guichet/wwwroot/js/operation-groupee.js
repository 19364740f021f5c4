// The operation page's progress: polls the state every second and updates the bar and the status; once finished,
// reloads the page for its summary. Without script, the « Actualiser » link does the same.
(function () {
    var root = document.getElementById('operation');
    if (!root) return;
    // Set before the reload, read after it: the summary takes the focus instead of the top of the page (RGAA 12.8).
    var reloaded = 'operation-groupee-rechargee';
    if (root.dataset.termine === '1') {
        var summary = document.getElementById('bilan');
        try {
            if (summary && sessionStorage.getItem(reloaded) === root.dataset.etat) summary.focus();
            sessionStorage.removeItem(reloaded);
        } catch (e) { /* storage refused: the page keeps the browser's focus */ }
        return;
    }
    var bar = document.getElementById('progression');
    var status = document.getElementById('statut-operation');
    var pause = document.getElementById('suspendre-actualisation');
    var paused = false, pending = false, timer = 0;
    function later(ms) { if (!paused) timer = setTimeout(poll, ms); }
    function poll() {
        pending = true;
        fetch(root.dataset.etat, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
            .then(function (r) { return r.ok ? r.json() : null; })
            .then(function (s) {
                pending = false;
                if (!s) { later(3000); return; }
                bar.max = s.total;
                bar.value = s.traitees;
                bar.textContent = s.texte;
                if (s.terminee) {
                    status.textContent = s.texte + ' — opération terminée.';
                    if (paused) return; // the user resumes, or follows « Actualiser »
                    try { sessionStorage.setItem(reloaded, root.dataset.etat); } catch (e) { /* no focus hint: still reloads */ }
                    window.location.reload();
                    return;
                }
                status.textContent = s.texte + '.';
                later(1000);
            })
            .catch(function () { pending = false; later(3000); });
    }
    if (pause) {
        // The user can stop the automatic update and its final reload (RGAA 13.1), and resume it.
        pause.classList.remove('d-none');
        pause.addEventListener('click', function () {
            paused = !paused;
            pause.setAttribute('aria-pressed', paused ? 'true' : 'false');
            if (paused) clearTimeout(timer); else if (!pending) later(0);
        });
    }
    later(1000);
})();
