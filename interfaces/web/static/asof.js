// The "as of" slider: show the position while it moves, reload the page when it is let go.
(function () {
  "use strict";
  var slider = document.getElementById("known_at");
  var shown = document.getElementById("known-out");
  if (!slider || !slider.form) {
    return;
  }
  slider.addEventListener("input", function () {
    if (shown) {
      shown.textContent = slider.value;
    }
  });
  slider.addEventListener("change", function () {
    if (slider.form.requestSubmit) {
      slider.form.requestSubmit();
    } else {
      slider.form.submit();
    }
  });
})();
