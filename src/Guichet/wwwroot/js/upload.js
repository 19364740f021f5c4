// Upload progress for the deposit form, and polling of a deposit still being processed. Works without it too.
(function () {
    var form = document.getElementById('form-depot');
    if (form && window.XMLHttpRequest && window.FormData) {
        form.addEventListener('submit', function (event) {
            event.preventDefault();
            var block = document.getElementById('progression-depot-bloc');
            var bar = document.getElementById('progression-depot');
            var text = document.getElementById('progression-depot-texte');
            var button = form.querySelector('button[type="submit"]');
            block.classList.remove('d-none');
            button.disabled = true;
            // The live region says the progress by steps of 10 %, not at every event, so that a screen reader can keep up.
            var announced = -1;
            var xhr = new XMLHttpRequest();
            xhr.open('POST', form.getAttribute('action') || window.location.pathname);
            xhr.upload.addEventListener('progress', function (e) {
                if (!e.lengthComputable) return;
                var percent = Math.round(e.loaded * 100 / e.total);
                bar.value = percent;
                var step = Math.floor(percent / 10) * 10;
                if (step === announced) return;
                announced = step;
                text.textContent = percent < 100 ? 'Envoi : ' + step + ' %' : 'Fichiers envoyés, vérification en cours…';
            });
            xhr.addEventListener('load', function () {
                if (xhr.responseURL && xhr.responseURL.indexOf('/depots/') >= 0 && xhr.responseURL.indexOf('/depots/nouveau') < 0) {
                    window.location.assign(xhr.responseURL);
                } else {
                    document.open();
                    document.write(xhr.responseText);
                    document.close();
                }
            });
            xhr.addEventListener('error', function () {
                text.textContent = "L'envoi a échoué. Vérifiez votre connexion puis recommencez.";
                button.disabled = false;
            });
            xhr.send(new FormData(form));
        });
    }
    var poll = document.querySelector('[data-poll]');
    if (poll) {
        // The user can stop the automatic reload (RGAA 13.1): the button pauses and resumes it.
        var delay = parseInt(poll.getAttribute('data-poll'), 10) || 2000;
        var schedule = function () { return window.setTimeout(function () { window.location.reload(); }, delay); };
        var timer = schedule();
        var pause = document.getElementById('suspendre-actualisation');
        if (pause) {
            pause.classList.remove('d-none');
            pause.addEventListener('click', function () {
                var paused = pause.getAttribute('aria-pressed') !== 'true';
                if (paused) window.clearTimeout(timer); else timer = schedule();
                pause.setAttribute('aria-pressed', paused ? 'true' : 'false');
            });
        }
    }
})();
