// Live green highlight of a changed value (docs/regles.md#valeurs-modifiees): the server renders the same state after a reload.
(function () {
    document.querySelectorAll('input[data-original]').forEach(function (input) {
        var note = document.getElementById(input.id + '-origine');
        var update = function () {
            var changed = input.value !== input.getAttribute('data-original');
            input.classList.toggle('gx-changed', changed);
            if (note) note.classList.toggle('d-none', !changed);
        };
        input.addEventListener('input', update);
        update();
    });
})();
