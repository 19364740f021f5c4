// The main menu collapses behind « Menu » on small screens (CSS decides when); without this script it simply stays open.
(function () {
    var button = document.getElementById('bouton-menu');
    var menu = document.getElementById('menu-principal');
    if (!button || !menu) return;
    var show = function (open) {
        button.setAttribute('aria-expanded', open ? 'true' : 'false');
        menu.classList.toggle('gx-menu-closed', !open);
    };
    show(false);
    button.hidden = false;
    button.addEventListener('click', function () { show(button.getAttribute('aria-expanded') !== 'true'); });
    // Escape closes the open menu from anywhere in it and gives focus back to the button that opened it.
    button.parentElement.addEventListener('keydown', function (event) {
        if (event.key !== 'Escape' || button.getAttribute('aria-expanded') !== 'true' || button.offsetParent === null) return;
        show(false);
        button.focus();
    });
})();
