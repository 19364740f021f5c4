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
            var xhr = new XMLHttpRequest();
            xhr.open('POST', form.getAttribute('action') || window.location.pathname);
            xhr.upload.addEventListener('progress', function (e) {
                if (!e.lengthComputable) return;
                var percent = Math.round(e.loaded * 100 / e.total);
                bar.value = percent;
                text.textContent = percent < 100 ? 'Envoi : ' + percent + ' %' : 'Fichiers envoyés, vérification en cours…';
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
        window.setTimeout(function () { window.location.reload(); }, parseInt(poll.getAttribute('data-poll'), 10) || 2000);
    }
})();
