// Daily entry (ledger/daily.html): Enter moves to the next field, the unit switch rewrites saved values,
// and values far outside the last weeks' range ask for confirmation before the form is sent.
(function () {
  "use strict";
  var form = document.getElementById('daily-form');
  var unitSelect = document.getElementById('unit-select');
  var confirmBox = document.getElementById('outlier-confirm');
  var confirmCheck = document.getElementById('confirm-outliers');
  var fields = Array.prototype.slice.call(form.querySelectorAll('input.weight, input.count, #reason'));
  // The translated warning comes from the page, with %(low)s, %(high)s and %(unit)s left to fill in.
  var outsideText = form.dataset.outsideText;

  function unitGrams() { return parseInt(unitSelect.selectedOptions[0].dataset.grams, 10); }
  function format(grams, perUnit) {
    return (grams / perUnit).toFixed(3).replace(/\.?0+$/, '');
  }

  // Enter moves on instead of submitting half a day; Enter in the reason field saves.
  fields.forEach(function (input, index) {
    input.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' && input.id !== 'reason') {
        event.preventDefault();
        var next = fields[index + 1];
        if (next) { next.focus(); next.select(); }
      }
    });
  });

  // Saved values are rewritten in the new unit so that switching units never changes them;
  // values typed but not yet saved are taken to be in the unit chosen.
  var previousGrams = unitGrams();
  unitSelect.addEventListener('change', function () {
    var perUnit = unitGrams();
    form.querySelectorAll('input.weight').forEach(function (input) {
      if (input.value && input.value === input.dataset.saved) {
        var grams = Math.round(parseFloat(input.value) * previousGrams);
        input.value = format(grams, perUnit);
      }
      if (input.dataset.saved) {
        input.dataset.saved = format(Math.round(parseFloat(input.dataset.saved) * previousGrams), perUnit);
      }
    });
    document.querySelectorAll('.amount[data-g]').forEach(function (span) {
      span.textContent = format(parseInt(span.dataset.g, 10), perUnit);
    });
    document.querySelectorAll('.unit-label').forEach(function (span) { span.textContent = unitSelect.value; });
    previousGrams = perUnit;
  });

  function outliers() {
    var perUnit = unitGrams();
    return fields.filter(function (input) {
      var cell = input.closest('td');
      var warning = cell && cell.querySelector('.warnmsg');
      if (!input.dataset.highG || !warning) { return false; }
      var value = parseFloat(input.value);
      var low = parseInt(input.dataset.lowG, 10), high = parseInt(input.dataset.highG, 10);
      var odd = input.value !== input.dataset.saved && !isNaN(value) &&
                (value * perUnit < low || value * perUnit > high);
      cell.classList.toggle('cell-outlier', odd);
      warning.hidden = !odd;
      if (odd) {
        warning.textContent = outsideText.replace('%(low)s', format(low, perUnit))
          .replace('%(high)s', format(high, perUnit)).replace('%(unit)s', unitSelect.value);
      }
      return odd;
    });
  }

  form.addEventListener('submit', function (event) {
    var odd = outliers();
    if (odd.length && !confirmCheck.checked) {
      event.preventDefault();
      confirmBox.hidden = false;
      confirmCheck.focus();
    }
  });

  var firstProblem = form.querySelector('[aria-invalid="true"]');
  var firstEmpty = fields.filter(function (f) { return f.classList.contains('weight') && !f.value; })[0];
  if (!confirmBox.hidden) { confirmCheck.focus(); }
  else { (firstProblem || firstEmpty || fields[0]).focus(); }
})();
